package datastore

import (
	"context"
	"fmt"
	"time"

	"github.com/nwmo/nwmo/datastore/tree"
)

// pendingConfirm is the one confirmed commit waiting for its confirm, as
// the OpenConfig commit-confirmed specification allows only one.
type pendingConfirm struct {
	id       string
	commit   uint64
	deadline time.Time
	timer    *time.Timer
}

// PendingConfirm describes the pending confirmed commit, if any.
type PendingConfirm struct {
	ID       string
	Commit   uint64
	Deadline time.Time
}

// Pending returns the pending confirmed commit.
func (s *Store) Pending() (PendingConfirm, bool) {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.confirm == nil {
		return PendingConfirm{}, false
	}
	return PendingConfirm{ID: s.confirm.id, Commit: s.confirm.commit, Deadline: s.confirm.deadline}, true
}

// armConfirm starts the rollback timer of a confirmed commit. The caller
// holds the gate exclusively.
func (s *Store) armConfirm(id string, h Header) {
	deadline := time.Unix(0, h.ConfirmDeadline)
	s.confirm = &pendingConfirm{id: id, commit: h.ID, deadline: deadline}
	s.confirm.timer = time.AfterFunc(time.Until(deadline), func() { s.expire(h.ID) })
}

// startConfirmTimer arms the timer of a confirmed commit found pending on
// restart; one whose deadline passed while nwmod was down is rolled back
// at once.
func (s *Store) startConfirmTimer() {
	s.gate.Lock()
	defer s.gate.Unlock()
	if s.confirm != nil {
		commit := s.confirm.commit
		s.confirm.timer = time.AfterFunc(time.Until(s.confirm.deadline), func() { s.expire(commit) })
	}
}

// Confirm makes the pending confirmed commit id permanent.
func (s *Store) Confirm(ctx context.Context, id string) (Result, error) {
	s.gate.Lock()
	defer s.gate.Unlock()
	p, err := s.pendingFor(id)
	if err != nil {
		return Result{}, err
	}
	h, _ := s.hist.get(p.commit)
	h.Status = StatusCommitted
	if err := s.writeHeader(h, true); err != nil {
		s.fail(err)
		return Result{}, err
	}
	p.timer.Stop()
	s.confirm = nil
	s.hist.add(h)
	return Result{ID: h.ID, Time: s.opts.Now().UnixNano()}, nil
}

// Cancel rolls the pending confirmed commit id back now.
func (s *Store) Cancel(ctx context.Context, id string) (Result, error) {
	s.gate.Lock()
	defer s.gate.Unlock()
	p, err := s.pendingFor(id)
	if err != nil {
		return Result{}, err
	}
	return s.undoPending(ctx, p, "cancelled")
}

// SetRollbackDuration moves the deadline of the pending confirmed commit
// id to d from now.
func (s *Store) SetRollbackDuration(ctx context.Context, id string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%w: rollback duration must be positive, not %v", ErrInvalid, d)
	}
	s.gate.Lock()
	defer s.gate.Unlock()
	p, err := s.pendingFor(id)
	if err != nil {
		return err
	}
	h, _ := s.hist.get(p.commit)
	h.ConfirmDeadline = s.opts.Now().Add(d).UnixNano()
	if err := s.writeHeader(h, true); err != nil {
		s.fail(err)
		return err
	}
	s.hist.add(h)
	p.deadline = time.Unix(0, h.ConfirmDeadline)
	p.timer.Reset(time.Until(p.deadline))
	return nil
}

func (s *Store) pendingFor(id string) (*pendingConfirm, error) {
	if s.confirm == nil {
		return nil, fmt.Errorf("%w: no confirmed commit is pending", ErrPrecondition)
	}
	if s.confirm.id != id {
		return nil, fmt.Errorf("%w: confirmed commit %q is pending, not %q", ErrInvalid, s.confirm.id, id)
	}
	return s.confirm, nil
}

// expire rolls back the confirmed commit when its timer fires.
func (s *Store) expire(commit uint64) {
	s.gate.Lock()
	defer s.gate.Unlock()
	if s.confirm == nil || s.confirm.commit != commit || s.closed.Load() {
		return
	}
	if time.Now().Before(s.confirm.deadline) {
		// The deadline was moved after the timer fired.
		s.confirm.timer.Reset(time.Until(s.confirm.deadline))
		return
	}
	if _, err := s.undoPending(context.Background(), s.confirm, "not confirmed in time"); err != nil {
		s.log.Error("rolling back unconfirmed commit", "commit", commit, "err", err)
		// Try again shortly: the elements may be unreachable for a while.
		s.confirm.deadline = time.Now().Add(5 * time.Second)
		s.confirm.timer.Reset(5 * time.Second)
	}
}

// undoPending reverts the pending confirmed commit with a new commit and
// marks it rolled back. The caller holds the gate exclusively.
func (s *Store) undoPending(ctx context.Context, p *pendingConfirm, why string) (Result, error) {
	h, changes, err := s.Commit(p.commit)
	if err != nil {
		return Result{}, err
	}
	parts := map[string][]tree.Op{}
	for _, tc := range changes {
		parts[tc.Target] = notificationOps(s.Schema(tc.Target), tc.Old)
	}
	res, err := s.commit(ctx, commitSpec{
		user: h.User, internal: true, rollbackOf: h.ID - 1, parts: parts,
		message: fmt.Sprintf("roll back confirmed commit %d (%q): %s", h.ID, p.id, why),
	})
	if err != nil {
		return Result{}, err
	}
	p.timer.Stop()
	s.confirm = nil
	h.Status = StatusRolledBack
	if err := s.writeHeader(h, true); err != nil {
		s.fail(err)
		return Result{}, err
	}
	s.hist.add(h)
	s.log.Info("confirmed commit rolled back", "commit", h.ID, "id", p.id, "reason", why, "rollback", res.ID)
	return res, nil
}
