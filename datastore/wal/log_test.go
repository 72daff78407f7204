package wal

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testSize keeps the zero-filled segments of these tests small.
const testSize = 1 << 16

// rec is the payload of record i in these tests. Records are all the same
// size, so that a recycled segment's old records line up with new ones.
func rec(i int) []byte { return []byte(fmt.Sprintf("record %06d", i)) }

// reopen opens dir and returns what it replays after `after`.
func reopen(t *testing.T, dir string, after uint64, size int64) (*Log, map[uint64][]byte, []uint64) {
	t.Helper()
	got := map[uint64][]byte{}
	var order []uint64
	l, err := Open(dir, after, size, func(lsn uint64, p []byte) error {
		got[lsn] = p
		order = append(order, lsn)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, got, order
}

// appendSync appends records from..to (inclusive), one per call.
func appendSync(t *testing.T, l *Log, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		lsn, err := l.Append([][]byte{rec(i)})
		if err != nil {
			t.Fatal(err)
		}
		if lsn != uint64(i) {
			t.Fatalf("record %d got LSN %d", i, lsn)
		}
		if err := l.Sync(); err != nil {
			t.Fatal(err)
		}
	}
}

func checkReplay(t *testing.T, got map[uint64][]byte, order []uint64, from, to int) {
	t.Helper()
	if len(order) != to-from+1 {
		t.Fatalf("replayed %d records (%v), want %d..%d", len(order), order, from, to)
	}
	for i, lsn := range order {
		if lsn != uint64(from+i) {
			t.Fatalf("replay order %v, want %d..%d", order, from, to)
		}
		if !bytes.Equal(got[lsn], rec(int(lsn))) {
			t.Fatalf("record %d = %q, want %q", lsn, got[lsn], rec(int(lsn)))
		}
	}
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReplayAfterReopen(t *testing.T) {
	dir := t.TempDir()
	l, _, order := reopen(t, dir, 0, testSize)
	if len(order) != 0 || l.Next() != 1 {
		t.Fatalf("new log replayed %v, next %d", order, l.Next())
	}
	appendSync(t, l, 1, 10)
	// A group is several records in one write.
	if lsn, err := l.Append([][]byte{rec(11), rec(12), rec(13)}); err != nil || lsn != 11 {
		t.Fatalf("group: lsn %d, %v", lsn, err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	l.Close()

	_, got, order := reopen(t, dir, 0, testSize)
	checkReplay(t, got, order, 1, 13)
	l2, got, order := reopen(t, dir, 8, testSize)
	checkReplay(t, got, order, 9, 13)
	if l2.Next() != 14 {
		t.Fatalf("next = %d, want 14", l2.Next())
	}
}

func TestSegmentsSwitchAndRecycle(t *testing.T) {
	dir := t.TempDir()
	const size = 256 // a few records per segment
	l, _, _ := reopen(t, dir, 0, size)
	appendSync(t, l, 1, 40)
	if n := len(segments(t, dir)); n < 5 {
		t.Fatalf("%d segments for 40 records of up to 40 bytes in 256-byte segments", n)
	}
	// Records up to 30 are held elsewhere: the segments holding only
	// those go, one of them kept as the spare.
	if err := l.Release(30); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, spareName)); err != nil {
		t.Fatalf("no spare after release: %v", err)
	}
	// The recycled spare becomes the next segment: the new records
	// overwrite only the first of its old ones, and the others, intact,
	// must not come back.
	appendSync(t, l, 41, 42)
	l.Close()
	_, got, order := reopen(t, dir, 30, size)
	checkReplay(t, got, order, 31, 42)

	// Everything released: only the current segment is left.
	l3, _, _ := reopen(t, dir, 42, size)
	if err := l3.Release(42); err != nil {
		t.Fatal(err)
	}
	appendSync(t, l3, 43, 43)
	if err := l3.Release(43); err != nil {
		t.Fatal(err)
	}
	if n := len(segments(t, dir)); n != 1 {
		t.Fatalf("%d segments left after releasing all, want the current one", n)
	}
}

func TestTornTailIsDropped(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := reopen(t, dir, 0, testSize)
	appendSync(t, l, 1, 5)
	l.Close()
	// Tear record 5: flip a byte of its payload.
	seg := segments(t, dir)[0]
	f, err := os.OpenFile(seg, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	off := int64(segHeaderSize)
	for i := 1; i < 5; i++ {
		off += recHeaderSize + int64(len(rec(i)))
	}
	if _, err := f.WriteAt([]byte{'#'}, off+recHeaderSize+2); err != nil {
		t.Fatal(err)
	}
	f.Close()

	l2, got, order := reopen(t, dir, 0, testSize)
	checkReplay(t, got, order, 1, 4)
	// Record 5 is written again, in a new segment.
	appendSync(t, l2, 5, 7)
	l2.Close()
	_, got, order = reopen(t, dir, 0, testSize)
	checkReplay(t, got, order, 1, 7)
}

func TestLargeRecordGetsItsOwnSegment(t *testing.T) {
	dir := t.TempDir()
	const size = 4096
	l, _, _ := reopen(t, dir, 0, size)
	appendSync(t, l, 1, 2)
	big := bytes.Repeat([]byte("y"), 3*size)
	if _, err := l.Append([][]byte{big}); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	_, got, order := reopen(t, dir, 0, size)
	if len(order) != 3 || !bytes.Equal(got[3], big) {
		t.Fatalf("replayed %v; record 3 has %d bytes, want %d", order, len(got[3]), len(big))
	}
}

func TestMissingRecordsFailOpen(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := reopen(t, dir, 10, testSize)
	appendSync(t, l, 11, 12)
	l.Close()
	_, err := Open(dir, 5, testSize, func(uint64, []byte) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "records are missing") {
		t.Fatalf("opening a log that starts after the holder's records: %v", err)
	}
}

func TestEmptyLastSegmentIsReplaced(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := reopen(t, dir, 0, testSize)
	appendSync(t, l, 1, 2)
	l.Close()
	// A segment that was started and never written (a crash right after
	// switching).
	if err := os.WriteFile(filepath.Join(dir, segName(3)), append(segHeader(3), make([]byte, 64)...), 0o644); err != nil {
		t.Fatal(err)
	}
	l2, got, order := reopen(t, dir, 0, testSize)
	checkReplay(t, got, order, 1, 2)
	appendSync(t, l2, 3, 4)
	l2.Close()
	_, got, order = reopen(t, dir, 0, testSize)
	checkReplay(t, got, order, 1, 4)
}
