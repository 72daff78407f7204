package datastore

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestJournalRestoresWhatBadgerLacks opens a store whose Badger holds
// nothing, beside the write-ahead log of a store that committed: every
// commit must come back from the log alone. This is what a crash leaves
// when Badger had not yet written or synced what the log acknowledged.
func TestJournalRestoresWhatBadgerLacks(t *testing.T) {
	src := t.TempDir()
	s := openStore(t, src)
	defer s.Close()
	addElements(t, s, "sim-0")
	var last Result
	for i := range 30 {
		last = mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(uint64(1000+i))))
	}
	mustSet(t, s, "sim-0", update(t, "/system/config/hostname", strVal("from-the-log")))

	dst := t.TempDir()
	copyLog(t, filepath.Join(src, journalDir), filepath.Join(dst, journalDir))
	r := openStore(t, dst)
	defer r.Close()
	d := device(t, r, "sim-0")
	if got := mtu(d, "eth0"); got != 1029 {
		t.Errorf("eth0 mtu = %d from the log, want 1029", got)
	}
	if got := d.GetSystem().GetConfig().GetHostname(); got != "from-the-log" {
		t.Errorf("hostname = %q from the log, want from-the-log", got)
	}
	if r.LastID() != last.ID+1 {
		t.Errorf("LastID = %d from the log, want %d", r.LastID(), last.ID+1)
	}
	if n := len(r.History(HistoryFilter{})); n != len(s.History(HistoryFilter{})) {
		t.Errorf("history has %d commits from the log, want %d", n, len(s.History(HistoryFilter{})))
	}
	// The replayed entries are in Badger now, and the journal goes on
	// from there: a new commit survives a clean restart.
	mustSet(t, r, "sim-0", update(t, "/system/config/hostname", strVal("after")))
	r.Close()
	r2 := openStore(t, dst)
	defer r2.Close()
	if got := device(t, r2, "sim-0").GetSystem().GetConfig().GetHostname(); got != "after" {
		t.Errorf("hostname = %q after restart, want after", got)
	}
}

// TestJournalSegments commits through many small log segments, checks
// that those Badger holds are released once it has caught up, and that a
// restart finds every commit. (Replay across segments after a kill is the
// crash test's, which runs with small segments too.)
func TestJournalSegments(t *testing.T) {
	dir := t.TempDir()
	small := func(o Options) Options { o.JournalSegmentSize = 4096; return o }
	s := openStore(t, dir, small)
	addElements(t, s, "sim-0")
	for i := range 200 {
		mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth"+strconv.Itoa(i%7)+"]/config/mtu", uintVal(uint64(1000+i))))
	}
	if err := s.journal.barrier(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, journalDir, "*.wal"))
	if len(segs) != 1 {
		t.Errorf("%d log segments left once Badger holds everything, want only the current one", len(segs))
	}
	s.Close()
	r := openStore(t, dir, small)
	defer r.Close()
	d := device(t, r, "sim-0")
	for k := range 7 {
		want := uint16(1000 + 199 - (199-k)%7) // the last i with i%7 == k
		if got := mtu(d, "eth"+strconv.Itoa(k)); got != want {
			t.Errorf("eth%d mtu = %d, want %d", k, got, want)
		}
	}
}

func TestWritesEncoding(t *testing.T) {
	ws := []write{setKey([]byte("a"), []byte("1")), delKey([]byte("bb")), setKey([]byte("c"), nil), setKey(bytes.Repeat([]byte("k"), 300), bytes.Repeat([]byte("v"), 70_000))}
	size := 0
	for _, w := range ws {
		size += len(w.key) + len(w.value)
	}
	got, err := decodeWrites(encodeWrites(ws, size))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ws) {
		t.Fatalf("decoded %d writes, want %d", len(got), len(ws))
	}
	for i := range ws {
		if !bytes.Equal(got[i].key, ws[i].key) || !bytes.Equal(got[i].value, ws[i].value) || got[i].del != ws[i].del {
			t.Errorf("write %d = %+v, want %+v", i, got[i], ws[i])
		}
	}
	if _, err := decodeWrites([]byte{0, 5, 'a'}); err == nil {
		t.Error("a truncated entry decoded")
	}
}

// copyLog copies the log segments of one store's journal to another's.
func copyLog(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	segs, err := filepath.Glob(filepath.Join(from, "*.wal"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no log segments in %s: %v", from, err)
	}
	for _, seg := range segs {
		b, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(seg)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
