package datastore

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nwmo/nwmo/datastore/tree"
)

// history keeps every commit's header in memory, in id order; the changes
// stay on disk until asked for.
type history struct {
	mu    sync.RWMutex
	cond  *sync.Cond
	list  []Header
	index map[uint64]int
}

func newHistory() *history {
	h := &history{index: map[uint64]int{}}
	h.cond = sync.NewCond(h.mu.RLocker())
	return h
}

// add records a header, or replaces it when its status changed.
func (h *history) add(hd Header) {
	h.mu.Lock()
	if i, ok := h.index[hd.ID]; ok {
		h.list[i] = hd
	} else {
		i := sort.Search(len(h.list), func(i int) bool { return h.list[i].ID > hd.ID })
		h.list = append(h.list, Header{})
		copy(h.list[i+1:], h.list[i:])
		h.list[i] = hd
		for j := i; j < len(h.list); j++ {
			h.index[h.list[j].ID] = j
		}
	}
	h.mu.Unlock()
	h.cond.Broadcast()
}

func (h *history) get(id uint64) (Header, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	i, ok := h.index[id]
	if !ok {
		return Header{}, false
	}
	return h.list[i], true
}

// after returns the headers with an id greater than id, oldest first.
func (h *history) after(id uint64) []Header {
	h.mu.RLock()
	defer h.mu.RUnlock()
	i := sort.Search(len(h.list), func(i int) bool { return h.list[i].ID > id })
	return append([]Header(nil), h.list[i:]...)
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
	h, ok := s.hist.get(id)
	if !ok {
		return Header{}, nil, fmt.Errorf("%w: no commit %d (the newest is %d)", ErrNotFound, id, s.LastID())
	}
	if h.Chunks == 0 {
		return h, nil, nil
	}
	changes, err := s.readBody(h)
	return h, changes, err
}

// Rollback makes the running configuration of every target that changed
// since commit id what it was right after it, as one new atomic commit.
func (s *Store) Rollback(ctx context.Context, id uint64, user, message string) (Result, error) {
	if err := s.usable(); err != nil {
		return Result{}, err
	}
	if _, ok := s.hist.get(id); !ok && id != 0 {
		return Result{}, fmt.Errorf("%w: no commit %d (the newest is %d)", ErrNotFound, id, s.LastID())
	}
	parts, err := s.inverseSince(id)
	if err != nil {
		return Result{}, err
	}
	if message == "" {
		message = fmt.Sprintf("rollback to commit %d", id)
	}
	return s.commit(ctx, commitSpec{user: user, message: message, rollbackOf: id, parts: parts})
}

// inverseSince computes, per target, the operations that undo every
// applied commit after id: each leaf goes back to its old value in the
// first later commit that touched it.
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
