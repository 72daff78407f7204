package datastore

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nwmo/nwmo/datastore/tree"
)

// history keeps the headers of the commits kept (see retention.go) in
// memory, in id order; the changes stay on disk until asked for. Ids are
// dense and mostly arrive in order, so a sorted slice with binary search
// serves every lookup without an index to keep.
type history struct {
	mu   sync.RWMutex
	list []Header
	// publish puts each change on the history feed, under mu: the feed
	// has them in the order the history took them.
	publish func(*Event)
	now     func() time.Time // the store's clock, for the events' times
	// floor is the highest id removed from the history: every commit up
	// to it is gone, every later one that was decided is in list.
	floor atomic.Uint64
}

func newHistory(publish func(*Event), now func() time.Time) *history {
	return &history{publish: publish, now: now}
}

// search returns where id is, or would be, in list.
func (h *history) search(id uint64) int {
	return sort.Search(len(h.list), func(i int) bool { return h.list[i].ID >= id })
}

// add records a header, or replaces it when its status changed. A header
// at or below the floor was removed and stays so.
func (h *history) add(hd Header) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if hd.ID <= h.floor.Load() {
		return
	}
	change := &HistoryChange{Commit: &hd}
	i := h.search(hd.ID)
	if i < len(h.list) && h.list[i].ID == hd.ID {
		was := h.list[i]
		change.Was = &was
		h.list[i] = hd
	} else {
		h.list = append(h.list, Header{})
		copy(h.list[i+1:], h.list[i:])
		h.list[i] = hd
	}
	h.publish(&Event{Header: Header{Time: h.now().UnixNano()}, History: change})
}

func (h *history) get(id uint64) (Header, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	i := h.search(id)
	if i == len(h.list) || h.list[i].ID != id {
		return Header{}, false
	}
	return h.list[i], true
}

// after returns the headers with an id greater than id, oldest first.
func (h *history) after(id uint64) []Header {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]Header(nil), h.list[h.search(id+1):]...)
}

// through returns the headers with an id up to id, oldest first.
func (h *history) through(id uint64) []Header {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]Header(nil), h.list[:h.search(id+1)]...)
}

// drop removes the headers up to id and raises the floor to it. The
// headers left are copied into a new slice so that the old array, which
// would otherwise only ever grow at the front, is freed.
func (h *history) drop(id uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id <= h.floor.Load() {
		return
	}
	cut := h.search(id + 1)
	dropped, rest := h.list[:cut], h.list[cut:]
	h.list = append(make([]Header, 0, len(rest)+len(rest)/4+16), rest...)
	h.floor.Store(id)
	if len(dropped) > 0 {
		// The old array is the history's no more: nothing writes it.
		h.publish(&Event{Header: Header{Time: h.now().UnixNano()}, History: &HistoryChange{Dropped: dropped}})
	}
}

// len is how many headers the history holds.
func (h *history) len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.list)
}

// applied reports whether a commit's change is part of running's history:
// failed commits never were.
func (hd Header) applied() bool { return hd.Status != StatusFailed && hd.Status != StatusPrepared }

// touches reports whether the commit changed target.
func (hd Header) touches(target string) bool {
	for _, t := range hd.Targets {
		if t == target {
			return true
		}
	}
	return false
}

// HistoryFilter selects commits; zero fields select everything.
type HistoryFilter struct {
	Target string
	User   string
	Since  time.Time
	Until  time.Time
	// Limit keeps the newest Limit commits.
	Limit int
}

// History lists commits, oldest first.
func (s *Store) History(f HistoryFilter) []Header {
	s.hist.mu.RLock()
	defer s.hist.mu.RUnlock()
	var out []Header
	for _, h := range s.hist.list {
		switch {
		case f.Target != "" && !h.touches(f.Target),
			f.User != "" && h.User != f.User,
			!f.Since.IsZero() && h.Time < f.Since.UnixNano(),
			!f.Until.IsZero() && h.Time > f.Until.UnixNano():
			continue
		}
		out = append(out, h)
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out
}

// Commit returns a commit's header and its exact change.
func (s *Store) Commit(id uint64) (Header, []TargetChange, error) {
	s.pruneMu.RLock()
	defer s.pruneMu.RUnlock()
	h, ok := s.hist.get(id)
	if !ok {
		return Header{}, nil, s.errNoCommit(id)
	}
	if h.Chunks == 0 {
		return h, nil, nil
	}
	changes, err := s.readBody(h)
	return h, changes, err
}

// Rollback makes the running configuration of every target that changed
// since commit id what it was right after it, as one new atomic commit.
func (s *Store) Rollback(ctx context.Context, id uint64, user, message string, opts ...CommitOption) (Result, error) {
	if err := s.usable(); err != nil {
		return Result{}, err
	}
	s.pruneMu.RLock()
	// Rolling back to commit id needs the commits after it, not its own
	// header: the history's floor is a valid target.
	if _, ok := s.hist.get(id); !ok && id != s.hist.floor.Load() {
		s.pruneMu.RUnlock()
		return Result{}, s.errNoCommit(id)
	}
	parts, err := s.inverseSince(id)
	s.pruneMu.RUnlock()
	if err != nil {
		return Result{}, err
	}
	if message == "" {
		message = fmt.Sprintf("rollback to commit %d", id)
	}
	spec := commitSpec{user: user, message: message, rollbackOf: id, parts: parts}
	for _, o := range opts {
		o(&spec)
	}
	return s.commit(ctx, spec)
}

// errNoCommit says why commit id is not in the history.
func (s *Store) errNoCommit(id uint64) error {
	if id <= s.hist.floor.Load() {
		return s.errPruned(id)
	}
	return fmt.Errorf("%w: no commit %d (the newest is %d)", ErrNotFound, id, s.LastID())
}

// inverseSince computes, per target, the operations that undo every
// applied commit after id: each leaf goes back to its old value in the
// first later commit that touched it. The caller holds pruneMu shared.
func (s *Store) inverseSince(id uint64) (map[string][]tree.Op, error) {
	firsts := map[string]map[string]bool{}
	olds := map[string]*opsBuilder{}
	for _, h := range s.hist.after(id) {
		if !h.applied() || h.Chunks == 0 {
			continue
		}
		changes, err := s.readBody(h)
		if err != nil {
			return nil, err
		}
		for _, tc := range changes {
			seen := firsts[tc.Target]
			if seen == nil {
				seen = map[string]bool{}
				firsts[tc.Target] = seen
				olds[tc.Target] = &opsBuilder{}
			}
			olds[tc.Target].addFirst(seen, tc.Old)
		}
	}
	parts := map[string][]tree.Op{}
	for target, b := range olds {
		s.mu.RLock()
		_, managed := s.inInventory[target]
		s.mu.RUnlock()
		if !managed && target != ServerTarget {
			continue
		}
		parts[target] = b.ops(s.Schema(target))
	}
	return parts, nil
}
