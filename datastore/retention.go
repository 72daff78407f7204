package datastore

import (
	"errors"
	"fmt"
)

// The history keeps the newest Options.HistoryCommits commits. Without a
// bound, a server taking thousands of commits a second would grow its
// memory and its disk by megabytes a second, and its restarts with them.
//
// Once the history holds twice the commits it keeps, a background pruner
// removes the oldest down to the bound: from memory first, so that no new
// reader finds them, then from Badger through the journal, so that the
// deletes come after the commits' own records in the log. A commit is
// removed only when nothing still needs it:
//   - every commit up to it is decided (its outcome is recorded);
//   - no confirmed commit at or before it is pending: cancelling one
//     reads its change;
//   - every target it may have changed has a snapshot that includes it,
//     so that a restart never needs its change; a target that lags is
//     snapshotted first.
//
// An open candidate does not hold commits back: one that copied an element
// before the oldest commit kept, when that element changed since, can no
// longer be rebased and fails to commit with ErrConflict, saying so.

// historyFloorKey holds the highest commit id removed from the history, so
// that ids are never handed out twice even once every header of the past
// is gone.
var historyFloorKey = []byte{prefixHistoryFloor}

// errSnapshotBusy says a target's snapshot is being written by someone
// else: the pruner tries again at its next round.
var errSnapshotBusy = errors.New("a snapshot is being written")

// startPruner runs the pruner until the store closes.
func (s *Store) startPruner() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case <-s.stop:
				return
			case <-s.pruneDue:
			}
			if err := s.pruneHistory(); err != nil && !s.closed.Load() {
				if errors.Is(err, errSnapshotBusy) {
					s.log.Debug("history pruning waits for a snapshot", "err", err)
				} else {
					s.log.Warn("pruning the commit history; it is kept for now", "err", err)
				}
			}
		}
	}()
	s.maybePrune()
}

// maybePrune wakes the pruner once the history holds twice what it keeps.
func (s *Store) maybePrune() {
	if s.lastID.Load()-s.hist.floor.Load() >= 2*uint64(s.opts.HistoryCommits) {
		signal(s.pruneDue)
	}
}

// pruneHistory removes the commits older than the newest HistoryCommits
// that nothing needs any more.
func (s *Store) pruneHistory() error {
	s.pruning.Lock()
	defer s.pruning.Unlock()
	keep := uint64(s.opts.HistoryCommits)
	last := s.lastID.Load()
	if last <= keep {
		return nil
	}
	upTo := min(last-keep, s.seq.settled())
	s.gate.RLock()
	if s.confirm != nil {
		upTo = min(upTo, s.confirm.commit-1)
	}
	s.gate.RUnlock()
	if upTo <= s.hist.floor.Load() {
		return nil
	}
	if err := s.snapshotThrough(upTo); err != nil {
		return err
	}
	gone := s.hist.through(upTo)
	// Readers of changes (Commit, Rollback, a candidate's rebase) hold
	// pruneMu shared from the header they found to the body they read.
	s.pruneMu.Lock()
	s.hist.drop(upTo)
	s.pruneMu.Unlock()

	floor := func(id uint64) write { return setKey(historyFloorKey, u64(nil, id)) }
	var dels []write
	for _, h := range gone {
		dels = append(dels, delKey(headerKey(h.ID)))
		for i := range h.Chunks {
			dels = append(dels, delKey(bodyKey(h.ID, i)))
		}
		if len(dels) >= maxOpsPerTxn {
			if err := s.journal.writeWait(append(dels, floor(h.ID))); err != nil {
				return err
			}
			dels = dels[:0]
		}
	}
	if err := s.journal.writeWait(append(dels, floor(upTo))); err != nil {
		return err
	}
	s.log.Debug("commit history pruned", "through", upTo, "removed", len(gone), "kept", s.hist.len())
	return nil
}

// snapshotThrough makes sure that a restart needs no commit up to id: a
// target changed since its last snapshot, by commits that may be among
// those, is snapshotted now.
func (s *Store) snapshotThrough(id uint64) error {
	for _, t := range s.targetList() {
		t.mu.Lock()
		due := t.version > t.snapVersion && t.snapVersion < id
		busy := due && t.snapshotting
		if due && !busy {
			t.snapshotting = true
		}
		t.mu.Unlock()
		switch {
		case busy:
			return fmt.Errorf("%w: target %s", errSnapshotBusy, t.name)
		case due:
			if err := s.snapshot(t); err != nil {
				return fmt.Errorf("snapshot of %s before pruning: %w", t.name, err)
			}
		}
	}
	return nil
}

// errPruned says that commit id is older than the history keeps.
func (s *Store) errPruned(id uint64) error {
	return fmt.Errorf("%w: commit %d is no longer in the history, which keeps the newest %d commits (the oldest kept is %d)",
		ErrNotFound, id, s.opts.HistoryCommits, s.hist.floor.Load()+1)
}
