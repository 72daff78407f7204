package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// DefaultSegmentSize is the size segments are preallocated to.
const DefaultSegmentSize = 64 << 20

const (
	segSuffix  = ".wal"
	spareName  = "spare"
	tmpName    = "spare.tmp"
	zeroChunk  = 1 << 20
	maxKeptBuf = 8 << 20 // a larger write buffer is dropped after use
)

// Log is a write-ahead log. Append and Sync are called by one goroutine
// at a time, the writer; Release may be called by any.
type Log struct {
	dir  string
	size int64

	// The writer's.
	next uint64 // LSN of the next record
	cur  *os.File
	seg  *segment // the current segment
	off  int64
	buf  []byte
	// direct writes the current segment when its file system does direct
	// I/O; cur then only syncs it.
	direct *directWriter

	mu        sync.Mutex
	cond      *sync.Cond
	closed    []*segment // before the current one, oldest first
	spare     *os.File   // the next segment, ready to be written
	preparing bool
	prepErr   error
	wg        sync.WaitGroup
}

// segment is a segment file, the LSN of its first record and that of its
// last (base-1 while it has none).
type segment struct {
	path       string
	base, last uint64
}

// Open opens the log in dir (creating it), calls replay, in order, for
// every intact record whose LSN is above after, and returns the log ready
// to append after the last of them. replay may keep the payload.
//
// after is what the caller already holds durably elsewhere; a log whose
// records start above after+1 is missing records, and Open fails.
func Open(dir string, after uint64, segmentSize int64, replay func(lsn uint64, payload []byte) error) (*Log, error) {
	if segmentSize <= segHeaderSize {
		segmentSize = DefaultSegmentSize
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l := &Log{dir: dir, size: segmentSize, next: after + 1}
	l.cond = sync.NewCond(&l.mu)
	if err := l.open(after, replay); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func (l *Log) open(after uint64, replay func(uint64, []byte) error) error {
	dir := l.dir
	if err := os.Remove(filepath.Join(dir, tmpName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := l.openSpare(); err != nil {
		return err
	}
	bases, err := listSegments(dir)
	if err != nil {
		return err
	}
	expect := uint64(0) // the LSN the next segment must start at
	for i, base := range bases {
		path := filepath.Join(dir, segName(base))
		switch {
		case i == 0 && base > after+1:
			return fmt.Errorf("write-ahead log %s starts at record %d, but the datastore holds records up to %d only: records are missing", dir, base, after)
		case i > 0 && base != expect:
			return fmt.Errorf("write-ahead log %s: segment %s starts at record %d, want %d", dir, path, base, expect)
		}
		hbase, next, err := readSegment(path, func(lsn uint64, p []byte) error {
			if lsn <= after {
				return nil
			}
			return replay(lsn, p)
		})
		if err != nil {
			return err
		}
		if hbase != base {
			return fmt.Errorf("write-ahead log segment %s says it starts at record %d", path, hbase)
		}
		l.closed = append(l.closed, &segment{path: path, base: base, last: next - 1})
		expect = next
		l.next = max(next, after+1)
	}
	// A last segment with no intact record holds nothing, and the next
	// segment will take its name.
	if n := len(l.closed); n > 0 && l.closed[n-1].last < l.closed[n-1].base {
		if err := os.Remove(l.closed[n-1].path); err != nil {
			return err
		}
		l.closed = l.closed[:n-1]
	}
	return nil
}

// Next is the LSN the next appended record gets.
func (l *Log) Next() uint64 { return l.next }

// Append writes records with consecutive LSNs, the first of which it
// returns. They are durable once Sync returns. After an error the log
// must not be written again.
func (l *Log) Append(payloads [][]byte) (first uint64, err error) {
	size := int64(0)
	for _, p := range payloads {
		size += recHeaderSize + int64(len(p))
	}
	if l.cur == nil || (l.off > segHeaderSize && l.off+size > l.size) {
		if err := l.switchSegment(); err != nil {
			return 0, err
		}
	}
	first = l.next
	buf := l.buf[:0]
	for _, p := range payloads {
		buf = appendRecord(buf, l.next, p)
		l.next++
	}
	if l.direct != nil {
		err = l.direct.writeAt(buf, l.off)
	} else {
		_, err = l.cur.WriteAt(buf, l.off)
	}
	if err != nil {
		return 0, fmt.Errorf("writing the write-ahead log: %w", err)
	}
	l.off += size
	if cap(buf) <= maxKeptBuf {
		l.buf = buf
	} else {
		l.buf = nil
	}
	l.mu.Lock()
	l.seg.last = l.next - 1
	l.mu.Unlock()
	return first, nil
}

// Sync makes every appended record durable. An fdatasync applies to the
// file, whichever descriptor wrote it: through cur, it also flushes what
// direct wrote to the device's cache.
func (l *Log) Sync() error {
	if l.cur == nil {
		return nil
	}
	if err := syncData(l.cur); err != nil {
		return fmt.Errorf("syncing the write-ahead log: %w", err)
	}
	return nil
}

// switchSegment closes the current segment and starts the next one at
// LSN l.next, durably named before anything is written in it. It holds
// l.mu throughout, so that no spare is recycled or prepared under the
// name it renames.
func (l *Log) switchSegment() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil {
		if err := syncData(l.cur); err != nil {
			return fmt.Errorf("syncing the write-ahead log: %w", err)
		}
		l.closeCurrent()
		l.closed = append(l.closed, l.seg)
	}
	for l.spare == nil {
		if l.prepErr != nil {
			err := l.prepErr
			l.prepErr = nil
			return fmt.Errorf("preparing a write-ahead log segment: %w", err)
		}
		if !l.preparing {
			l.prepare()
		}
		l.cond.Wait()
	}
	f := l.spare
	l.spare = nil
	path := filepath.Join(l.dir, segName(l.next))
	err := func() error {
		// A recycled segment still holds old records after the header;
		// their LSNs are below this segment's, so reading stops at them.
		if _, err := f.WriteAt(segHeader(l.next), 0); err != nil {
			return err
		}
		if err := syncData(f); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(l.dir, spareName), path); err != nil {
			return err
		}
		return syncDir(l.dir)
	}()
	if err != nil {
		f.Close()
		return fmt.Errorf("starting a write-ahead log segment: %w", err)
	}
	direct, err := openDirect(path)
	if err != nil {
		f.Close()
		return fmt.Errorf("starting a write-ahead log segment: %w", err)
	}
	l.cur, l.off = f, segHeaderSize
	if direct != nil {
		l.direct = newDirectWriter(direct, segHeader(l.next))
	}
	l.seg = &segment{path: path, base: l.next, last: l.next - 1}
	// The next spare: a released segment soon, when there is one to
	// release; otherwise a new one.
	if len(l.closed) == 0 && !l.preparing {
		l.prepare()
	}
	return nil
}

// prepare writes a zero-filled spare segment in the background. Called
// with l.mu held.
func (l *Log) prepare() {
	l.preparing = true
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f, err := l.zeroFilled()
		l.mu.Lock()
		defer l.mu.Unlock()
		l.preparing = false
		if err == nil {
			// Recycling waits while a spare is prepared, so there is
			// none yet.
			err = os.Rename(filepath.Join(l.dir, tmpName), filepath.Join(l.dir, spareName))
		}
		if err != nil {
			if f != nil {
				f.Close()
			}
			os.Remove(filepath.Join(l.dir, tmpName))
			l.prepErr = err
		} else {
			l.spare = f
		}
		l.cond.Broadcast()
	}()
}

// zeroFilled writes the spare's temporary file: every block allocated,
// so that writing records never changes the file's size.
func (l *Log) zeroFilled() (*os.File, error) {
	tmp := filepath.Join(l.dir, tmpName)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	err = func() error {
		zero := make([]byte, zeroChunk)
		for off := int64(0); off < l.size; off += zeroChunk {
			if _, err := f.WriteAt(zero[:min(zeroChunk, l.size-off)], off); err != nil {
				return err
			}
		}
		return syncData(f)
	}()
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Release lets go of the segments before the current one whose records
// are all at or below lsn, which the caller now holds durably elsewhere:
// the first becomes the spare segment if there is none, the others are
// removed.
func (l *Log) Release(lsn uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var first error
	n := 0
	for _, s := range l.closed {
		if s.last > lsn {
			break
		}
		n++
		if err := l.recycle(s.path); err != nil && first == nil {
			first = err
		}
	}
	l.closed = l.closed[n:]
	return first
}

// recycle makes a released segment the spare, or removes it. Called with
// l.mu held.
func (l *Log) recycle(path string) error {
	if l.spare != nil || l.preparing {
		return os.Remove(path)
	}
	spare := filepath.Join(l.dir, spareName)
	if err := os.Rename(path, spare); err != nil {
		return err
	}
	f, err := os.OpenFile(spare, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	l.spare = f
	l.cond.Broadcast()
	return nil
}

// openSpare takes a spare segment left by an earlier run.
func (l *Log) openSpare() error {
	path := filepath.Join(l.dir, spareName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st, err := f.Stat(); err != nil || st.Size() < l.size {
		f.Close()
		return os.Remove(path)
	}
	l.spare = f
	return nil
}

// Close closes the log's files; records not synced may be lost.
func (l *Log) Close() error {
	l.wg.Wait()
	err := l.closeCurrent()
	if l.spare != nil {
		l.spare.Close()
	}
	return err
}

// closeCurrent closes the current segment's files.
func (l *Log) closeCurrent() error {
	var err error
	if l.direct != nil {
		err = l.direct.close()
		l.direct = nil
	}
	if l.cur != nil {
		if cerr := l.cur.Close(); err == nil {
			err = cerr
		}
		l.cur = nil
	}
	return err
}

func segName(base uint64) string { return fmt.Sprintf("%016x%s", base, segSuffix) }

// listSegments returns the base LSNs of dir's segments, in order.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var bases []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), segSuffix)
		if !ok {
			continue
		}
		base, err := strconv.ParseUint(name, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("write-ahead log %s: unexpected file %s", dir, e.Name())
		}
		bases = append(bases, base)
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	return bases, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
