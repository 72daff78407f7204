package datastore

import (
	"errors"

	badger "github.com/dgraph-io/badger/v4"
)

// logWriter is the group commit: commits hand it their final writes and
// it puts every write waiting at that moment into one Badger transaction,
// so that concurrent commits share one fsync. Writes are committed in the
// order they were handed in.
//
// A Badger transaction per commit would not do: opening a read-write
// transaction waits for every earlier one to be on disk, which would put
// an fsync inside each commit's critical section.
type logWriter struct {
	db   *badger.DB
	ch   chan logRequest
	done chan struct{}
}

type logRequest struct {
	write func(*badger.Txn) error
	size  int
	done  func(error)
}

const (
	maxGroupBytes = 4 << 20 // well below Badger's transaction limit
	maxGroupCount = 4096
)

func newLogWriter(db *badger.DB) *logWriter {
	w := &logWriter{db: db, ch: make(chan logRequest, maxGroupCount), done: make(chan struct{})}
	go w.run()
	return w
}

// submit queues writes; done is called once they are durable (or failed).
func (w *logWriter) submit(size int, write func(*badger.Txn) error, done func(error)) {
	w.ch <- logRequest{write: write, size: size, done: done}
}

// close waits for every queued write to be written.
func (w *logWriter) close() {
	close(w.ch)
	<-w.done
}

func (w *logWriter) run() {
	defer close(w.done)
	for first := range w.ch {
		group := []logRequest{first}
		size := first.size
	fill:
		for size < maxGroupBytes && len(group) < maxGroupCount {
			select {
			case r, ok := <-w.ch:
				if !ok {
					break fill
				}
				group = append(group, r)
				size += r.size
			default:
				break fill
			}
		}
		w.write(group)
	}
}

func (w *logWriter) write(group []logRequest) {
	err := w.db.Update(func(txn *badger.Txn) error {
		for _, r := range group {
			if err := r.write(txn); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, badger.ErrTxnTooBig) && len(group) > 1 {
		// Too much at once after all: write them one by one.
		for _, r := range group {
			w.write([]logRequest{r})
		}
		return
	}
	for _, r := range group {
		r.done(err)
	}
}
