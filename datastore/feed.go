package datastore

import (
	"context"
	"errors"
	"sync"
)

// Event is one commit as the watch feed delivers it, one update of an
// element's state on the state feed, or one change of the history on the
// history feed.
type Event struct {
	Header
	// Changes has, per target, the notification of the change: updated
	// leaves with their new values and deleted leaves.
	Changes []TargetChange
	// History is what changed, on the history feed only.
	History *HistoryChange
}

// HistoryChange is one change of what nwmo reports of its own work: the
// commits its history keeps and the open candidates. One field is set.
type HistoryChange struct {
	// Commit is a commit recorded, or whose header changed (its status,
	// its confirm deadline): Was is its header before, nil if it is new.
	Commit, Was *Header
	// Dropped are the commits that left the history, oldest first.
	Dropped []Header
	// Candidate names a candidate that was opened, written to, committed
	// or discarded: Candidate(name) tells which it is now.
	Candidate string
}

// ErrResync is returned by Watcher.Next when the watcher fell so far
// behind that events it had not read were dropped: it must re-read the
// state it follows and then go on from Watcher.Resume's position.
var ErrResync = errors.New("watcher fell behind; resynchronise")

// feed is the watch feed: a ring of the latest commits, appended in commit
// order. Publishing never waits for a watcher; a watcher that falls more
// than the ring behind gets ErrResync. Memory is bounded by the ring.
type feed struct {
	mu     sync.Mutex
	ring   []*Event
	next   uint64 // sequence number of the next event
	notify chan struct{}
	// waiting is set when a watcher waits on notify: only then does
	// publishing close it and make another.
	waiting bool
	closed  bool
}

func newFeed(size int) *feed {
	if size <= 0 {
		size = 4096
	}
	return &feed{ring: make([]*Event, size), notify: make(chan struct{})}
}

func (f *feed) publish(e *Event) {
	f.mu.Lock()
	f.ring[f.next%uint64(len(f.ring))] = e
	f.next++
	if f.waiting {
		close(f.notify)
		f.notify, f.waiting = make(chan struct{}), false
	}
	f.mu.Unlock()
}

func (f *feed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.notify)
	}
}

// Watcher reads the feed from a position.
type Watcher struct {
	f   *feed
	pos uint64
}

// watch returns a watcher that sees every event published from now on.
func (f *feed) watch() *Watcher {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &Watcher{f: f, pos: f.next}
}

// Watch returns a watcher that sees every commit published from now on.
func (s *Store) Watch() *Watcher { return s.feed.watch() }

// WatchHistory returns a watcher of the history feed: each Event carries
// a HistoryChange, in the order the history and the candidates took them.
func (s *Store) WatchHistory() *Watcher { return s.historyFeed.watch() }

// Next returns the next event, waiting for one until ctx is done. After
// ErrResync the watcher has moved to the newest event; re-read the state
// and call Next again.
func (w *Watcher) Next(ctx context.Context) (*Event, error) {
	for {
		w.f.mu.Lock()
		if w.f.closed {
			w.f.mu.Unlock()
			return nil, ErrClosed
		}
		size := uint64(len(w.f.ring))
		if w.f.next-w.pos > size {
			w.pos = w.f.next
			w.f.mu.Unlock()
			return nil, ErrResync
		}
		if w.pos < w.f.next {
			e := w.f.ring[w.pos%size]
			w.pos++
			w.f.mu.Unlock()
			return e, nil
		}
		ch := w.f.notify
		w.f.waiting = true
		w.f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// sequencer publishes commits on the feed in id order although they become
// durable out of order: an id is published once every smaller id is
// published or skipped.
type sequencer struct {
	mu      sync.Mutex
	next    uint64
	waiting map[uint64]*Event // nil value: skipped
	out     func(*Event)
}

func newSequencer(first uint64, out func(*Event)) *sequencer {
	return &sequencer{next: first, waiting: map[uint64]*Event{}, out: out}
}

// settled returns the highest id up to which every commit is decided.
func (q *sequencer) settled() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.next - 1
}

// done hands in commit id; e is nil for an id that is not to be published
// (a commit that failed).
func (q *sequencer) done(id uint64, e *Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.waiting[id] = e
	for {
		e, ok := q.waiting[q.next]
		if !ok {
			return
		}
		delete(q.waiting, q.next)
		q.next++
		if e != nil {
			q.out(e)
		}
	}
}
