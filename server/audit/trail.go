// Package audit is nwmod's audit trail: one JSON object a line, in a file
// that rotates by size, recording who changed what (every Set and every
// change through the admin service, allowed or denied) and who was
// refused anything.
package audit

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"
)

// Record is one line of the trail.
type Record struct {
	Time time.Time `json:"time"`
	// User is who made the request, as authenticated: "anonymous"
	// without an access file; for a failed authentication, the name the
	// client gave.
	User string `json:"user"`
	Peer string `json:"peer,omitempty"` // the client's address
	RPC  string `json:"rpc"`            // gnmi.Set, admin.Rollback, ...
	// Target is the request's target: an element, ELEMENT@CANDIDATE or
	// nwmo.
	Target string `json:"target,omitempty"`
	Ops    []Op   `json:"ops,omitempty"`
	// Subject is what an admin request or Commit extension names: a
	// commit id, a candidate, a confirm id.
	Subject string `json:"subject,omitempty"`
	Commit  uint64 `json:"commit,omitempty"` // the commit the request made
	Code    string `json:"code"`             // the gRPC code of the answer: OK, PermissionDenied, ...
	Error   string `json:"error,omitempty"`
}

// Op is one operation of a Set: its kind and path, not its value, which
// may be a secret.
type Op struct {
	Op   string `json:"op"`
	Path string `json:"path"`
}

const (
	// flushDelay gathers the records of many requests into one write.
	flushDelay = 10 * time.Millisecond
	// syncEvery bounds what a machine crash can lose. The log's syncs,
	// which every Set waits for, share the disk with the trail's: one a
	// second leaves them be.
	syncEvery = time.Second
	// maxPending bounds the records waiting for the disk; beyond it they
	// are counted, and the count is written once the disk keeps up.
	maxPending = 16 << 20
	// Keep is how many rotated files are kept: FILE.1 (the newest) to
	// FILE.8.
	Keep = 8
)

// Trail appends records to a file. Record never waits for the disk: a
// goroutine writes what was recorded every flushDelay, so that a crash of
// the process loses at most the records of the last few milliseconds, and
// syncs it at most every syncEvery (and on Close), which bounds what a
// crash of the machine loses.
type Trail struct {
	name    string
	maxSize int64
	log     *slog.Logger

	mu      sync.Mutex
	buf     []byte // encoded records not yet written
	dropped int    // records not kept since the last write
	closed  bool
	wake    chan struct{}
	done    chan struct{}

	f        *os.File // the writer goroutine's own
	size     int64
	unsynced bool
	synced   time.Time
}

// Open opens (or creates) the trail at name, rotating it once it would
// pass maxSize bytes.
func Open(name string, maxSize int64, log *slog.Logger) (*Trail, error) {
	if maxSize <= 0 {
		return nil, fmt.Errorf("audit log %s: the largest size must be positive, not %d", name, maxSize)
	}
	t := &Trail{name: name, maxSize: maxSize, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if err := t.open(); err != nil {
		return nil, err
	}
	go t.run()
	return t, nil
}

func (t *Trail) open() error {
	f, err := os.OpenFile(t.name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit log: %w", err)
	}
	t.f, t.size = f, st.Size()
	return nil
}

// Record adds r to the trail.
func (t *Trail) Record(r *Record) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		t.dropped++
		return
	}
	n := len(t.buf)
	t.buf = append(r.appendJSON(t.buf), '\n')
	switch {
	case len(t.buf) > maxPending:
		t.buf = t.buf[:n]
		t.dropped++
	case n == 0:
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// Close writes and syncs what was recorded, and closes the file.
func (t *Trail) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		<-t.done
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	<-t.done
	return t.f.Close()
}

func (t *Trail) run() {
	defer close(t.done)
	var spare []byte
	syncTimer := time.NewTimer(time.Hour)
	syncTimer.Stop()
	for {
		select {
		case <-t.wake:
		case <-syncTimer.C:
			t.sync()
			continue
		}
		t.mu.Lock()
		closed := t.closed
		t.mu.Unlock()
		if !closed {
			time.Sleep(flushDelay)
		}
		t.mu.Lock()
		b, dropped := t.buf, t.dropped
		t.buf, t.dropped = spare[:0], 0
		closed = t.closed
		t.mu.Unlock()
		if dropped > 0 {
			b = t.droppedLine(b, dropped)
		}
		if len(b) > 0 {
			t.write(b)
		}
		switch wait := syncEvery - time.Since(t.synced); {
		case closed || wait <= 0:
			syncTimer.Stop()
			t.sync()
		case t.unsynced:
			syncTimer.Reset(wait)
		}
		if spare = b; cap(spare) > 1<<20 {
			spare = nil
		}
		if closed {
			return
		}
	}
}

// droppedLine appends a record of how many records were not kept.
func (t *Trail) droppedLine(b []byte, n int) []byte {
	r := &Record{Time: time.Now(), User: "nwmod", RPC: "audit", Code: "ResourceExhausted",
		Error: strconv.Itoa(n) + " audit records were not kept: the audit log's disk did not keep up"}
	return append(r.appendJSON(b), '\n')
}

// write appends b, rotating first if b would take the file past its
// largest size.
func (t *Trail) write(b []byte) {
	if t.size > 0 && t.size+int64(len(b)) > t.maxSize {
		t.sync()
		if err := t.rotate(); err != nil {
			t.log.Error("rotating the audit log", "file", t.name, "err", err)
		}
	}
	n, err := t.f.Write(b)
	t.size += int64(n)
	t.unsynced = true
	if err != nil {
		t.log.Error("writing the audit log: records lost", "file", t.name, "bytes", len(b)-n, "err", err)
	}
}

// sync makes what was written durable.
func (t *Trail) sync() {
	if !t.unsynced {
		return
	}
	if err := t.f.Sync(); err != nil {
		t.log.Error("syncing the audit log", "file", t.name, "err", err)
	}
	t.unsynced, t.synced = false, time.Now()
}

// rotate renames FILE.k to FILE.k+1 (dropping FILE.Keep), FILE to FILE.1,
// and starts a new FILE.
// Whatever fails, the trail goes on in FILE.
func (t *Trail) rotate() error {
	err := t.f.Close()
	for k := Keep - 1; k >= 1 && err == nil; k-- {
		if rerr := os.Rename(t.name+"."+strconv.Itoa(k), t.name+"."+strconv.Itoa(k+1)); rerr != nil && !os.IsNotExist(rerr) {
			err = rerr
		}
	}
	if err == nil {
		err = os.Rename(t.name, t.name+".1")
	}
	return errors.Join(err, t.open())
}
