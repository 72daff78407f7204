package datastore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/datastore/validate"
)

// Request is one transaction on one target, as a gNMI SetRequest is.
type Request struct {
	// Target is an element, nwmo (or empty), or ELEMENT@CANDIDATE to edit
	// a candidate instead of running.
	Target  string
	User    string
	Message string
	// Ops are applied in order; put them in gNMI's order (deletes, then
	// replaces, then updates).
	Ops []tree.Op
	// Confirm makes this a confirmed commit, rolled back unless confirmed
	// in time. Not allowed on a candidate edit.
	Confirm *ConfirmOptions
}

// ConfirmOptions are those of a confirmed commit.
type ConfirmOptions struct {
	// ID names the commit for confirm and cancel.
	ID string
	// Timeout is the rollback timer; zero means the default (10 minutes).
	Timeout time.Duration
}

// Result is what a successful transaction reports.
type Result struct {
	// ID is the commit's id; 0 when nothing changed (or for a candidate
	// edit, which is not a commit).
	ID   uint64
	Time int64 // nanoseconds since the epoch
}

// Set runs a transaction: all of it is applied, validated, made durable,
// pushed to the element and published, or none of it is.
func (s *Store) Set(ctx context.Context, r Request) (Result, error) {
	if err := s.usable(); err != nil {
		return Result{}, err
	}
	element, cand := splitTarget(r.Target)
	if cand != "" {
		if r.Confirm != nil {
			return Result{}, fmt.Errorf("%w: a candidate edit cannot be a confirmed commit; commit the candidate instead", ErrInvalid)
		}
		return s.editCandidate(ctx, element, cand, r.User, r.Ops)
	}
	return s.commit(ctx, commitSpec{
		user: r.User, message: r.Message, confirm: r.Confirm,
		parts: map[string][]tree.Op{element: r.Ops},
	})
}

// CommitOption adjusts a Rollback or a CommitCandidate.
type CommitOption func(*commitSpec)

// Permitted makes the commit fail with permit's error unless permit
// accepts every leaf it changes, as computed with its targets locked:
// what a rollback or a candidate commit changes is known only then.
func Permitted(permit func(target string, leaf []*gpb.PathElem) error) CommitOption {
	return func(spec *commitSpec) { spec.permit = permit }
}

// commitSpec is everything one commit is made of.
type commitSpec struct {
	user, message, candidate string
	rollbackOf               uint64
	confirm                  *ConfirmOptions
	parts                    map[string][]tree.Op // target -> operations
	// check runs with every target locked and applied, before anything is
	// written; a candidate commit checks its base there.
	check func(locked map[string]*lockedTarget) error
	// permit, when set, must accept every leaf the commit changes.
	permit func(target string, leaf []*gpb.PathElem) error
	// extra are writes made with the commit's record, atomically.
	extra []write
	// internal commits (rollbacks of a confirmed commit) pass the gate.
	internal bool
	// removed commits change elements that just left the inventory: they
	// are never pushed.
	removed bool
}

// lockedTarget is a target being changed by a commit.
type lockedTarget struct {
	t        *target
	edit     *tree.Edit
	changes  []tree.LeafChange
	prepared *validate.Prepared // to record the changes in t's index
}

// commit runs one commit; when it removed elements from the inventory
// whose on-remove policy is delete, their configurations are deleted
// next, each by a commit of its own, once this one let go of the gate.
func (s *Store) commit(ctx context.Context, spec commitSpec) (Result, error) {
	res, dropped, err := s.commitGated(ctx, spec)
	if err == nil {
		s.deleteRemoved(ctx, spec.user, dropped)
	}
	return res, err
}

func (s *Store) commitGated(ctx context.Context, spec commitSpec) (res Result, dropped []string, err error) {
	if !spec.internal {
		if spec.confirm != nil {
			s.gate.Lock()
			defer s.gate.Unlock()
		} else {
			s.gate.RLock()
			defer s.gate.RUnlock()
		}
		if s.confirm != nil {
			return Result{}, nil, fmt.Errorf("%w: confirmed commit %q (commit %d) is pending; confirm or cancel it first",
				ErrPrecondition, s.confirm.id, s.confirm.commit)
		}
	}
	if err := ctx.Err(); err != nil {
		return Result{}, nil, err
	}

	names := make([]string, 0, len(spec.parts))
	for n := range spec.parts {
		names = append(names, n)
	}
	sort.Strings(names)
	locked := make(map[string]*lockedTarget, len(names))
	order := make([]*lockedTarget, 0, len(names))
	for _, n := range names {
		t, err := s.lookup(n)
		if spec.removed {
			t, err = s.lookupRemoved(n)
		}
		if err != nil {
			return Result{}, nil, err
		}
		lt := &lockedTarget{t: t}
		locked[n] = lt
		order = append(order, lt)
	}
	// Lock in name order so that commits over several targets cannot
	// deadlock; the read locks keep Gets out while trees change in place.
	for _, lt := range order {
		lt.t.wmu.Lock()
		lt.t.mu.Lock()
	}
	// Once the outcome is decided the next writer may start, while this
	// commit's record is still being synced: that is what lets concurrent
	// writers share an fsync.
	held := true
	unlock := func() {
		if held {
			for _, lt := range order {
				lt.t.mu.Unlock()
				lt.t.wmu.Unlock()
			}
			held = false
		}
	}
	defer unlock()
	undoAll := func() {
		for _, lt := range order {
			if lt.edit != nil {
				lt.edit.Undo()
			}
		}
	}

	total := 0
	for _, lt := range order {
		if err := s.apply(lt, spec.parts[lt.t.name]); err != nil {
			undoAll()
			return Result{}, nil, err
		}
		total += len(lt.changes)
	}
	if spec.check != nil {
		if err := spec.check(locked); err != nil {
			undoAll()
			return Result{}, nil, err
		}
	}
	if spec.permit != nil {
		for _, lt := range order {
			for _, c := range lt.changes {
				if err := spec.permit(lt.t.name, c.Path); err != nil {
					undoAll()
					return Result{}, nil, err
				}
			}
		}
	}
	now := s.opts.Now().UnixNano()
	if total == 0 && spec.confirm == nil && spec.candidate == "" {
		return Result{Time: now}, nil, nil
	}

	h := Header{Time: now, User: spec.user, Message: spec.message, Candidate: spec.candidate,
		RollbackOf: spec.rollbackOf, Changes: total, Status: StatusCommitted}
	var changes []TargetChange
	for _, lt := range order {
		if len(lt.changes) == 0 {
			continue
		}
		tc, err := toTargetChange(lt.t.name, now, lt.changes)
		if err != nil {
			undoAll()
			return Result{}, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		h.Targets = append(h.Targets, lt.t.name)
		changes = append(changes, tc)
	}
	if spec.confirm != nil {
		h.Status = StatusPendingConfirm
		h.ConfirmID = spec.confirm.ID
		timeout := spec.confirm.Timeout
		if timeout <= 0 {
			timeout = s.opts.DefaultConfirmTimeout
		}
		h.ConfirmDeadline = now + int64(timeout)
	}
	body, err := encodeBody(changes)
	if err != nil {
		undoAll()
		return Result{}, nil, err
	}
	h.ID = s.lastID.Add(1)

	var push *Commit
	if !spec.removed {
		push = s.pushCommit(&h, changes)
	}
	if push != nil {
		final := h.Status
		h.Status = StatusPrepared
		if err := s.writeCommitWait(&h, body); err != nil {
			undoAll()
			s.fail(err)
			s.seq.done(h.ID, nil)
			return Result{}, nil, err
		}
		if err := s.pusher.Push(ctx, push); err != nil {
			undoAll()
			h.Status = StatusFailed
			if werr := s.writeHeader(h, false); werr != nil {
				s.log.Error("recording failed commit", "id", h.ID, "err", werr)
			}
			s.hist.add(h)
			s.seq.done(h.ID, nil)
			if isContextErr(err) {
				return Result{}, nil, err
			}
			return Result{}, nil, fmt.Errorf("%w: commit %d: %w", ErrPush, h.ID, err)
		}
		h.Status = final
		body = nil
	}

	// Decided: the change is in, the index follows it, readers may see it.
	for _, lt := range order {
		if len(lt.changes) > 0 {
			lt.prepared.Apply()
			lt.t.version = h.ID
			lt.t.sinceSnap += len(lt.changes)
		}
	}
	if own, ok := locked[ServerTarget]; ok {
		s.refreshInventory(own.t.root)
		dropped = removedForDeletion(own.changes)
	}
	if spec.confirm != nil {
		s.armConfirm(spec.confirm.ID, h)
	}
	var lsn uint64
	if body != nil {
		lsn, err = s.writeCommit(&h, body, spec.extra)
	} else {
		lsn, err = s.writeFinal(h, spec.extra)
	}
	unlock()
	if err == nil {
		err = s.journal.wait(lsn)
	}
	if err != nil {
		// The change is applied in memory but not on disk: stop accepting
		// anything until a restart brings memory back to what is durable.
		s.fail(err)
		return Result{}, nil, err
	}
	s.hist.add(h)
	s.seq.done(h.ID, &Event{Header: h, Changes: changes})
	s.maybePrune()
	for _, lt := range order {
		s.maybeSnapshot(lt.t)
	}
	return Result{ID: h.ID, Time: now}, dropped, nil
}

// writeFinal writes the outcome of a pushed commit whose body is already
// on disk; it is durable once the journal's wait for the LSN returns.
func (s *Store) writeFinal(h Header, extra []write) (uint64, error) {
	hb, err := json.Marshal(h)
	if err != nil {
		return 0, err
	}
	return s.journal.write(append([]write{setKey(headerKey(h.ID), hb)}, extra...))
}

// apply applies a target's operations to its live tree and validates the
// result incrementally. On error the caller undoes the edit.
func (s *Store) apply(lt *lockedTarget, ops []tree.Op) error {
	t := lt.t
	lt.edit = t.model.Schema.NewEdit(t.root)
	for i, op := range ops {
		if err := lt.edit.Apply(op); err != nil {
			return &OpError{Index: i, Err: targetErr(t.name, op, err)}
		}
	}
	lt.changes = lt.edit.Changes()
	if err := configOnly(t.name, lt.changes); err != nil {
		return err
	}
	var err error
	if lt.prepared, err = t.index.Prepare(t.root, lt.changes); err != nil {
		return fmt.Errorf("%w: target %s: %w", ErrInvalid, t.name, err)
	}
	return nil
}

// configOnly refuses changes to state (config false) leaves: they are
// the element's to report, not an operator's to set.
func configOnly(target string, changes []tree.LeafChange) error {
	for _, c := range changes {
		if !c.Field.Config {
			return fmt.Errorf("%w: target %s: %s is state (config false) and cannot be set", ErrInvalid, target, tree.FormatPath(c.Path))
		}
	}
	return nil
}

// targetErr classifies an error of the tree package.
func targetErr(target string, op tree.Op, err error) error {
	switch {
	case errors.Is(err, tree.ErrUnknownPath):
		return fmt.Errorf("%w: target %s: %s %s: %w", ErrUnknownPath, target, op.Kind, tree.FormatPath(op.Path), err)
	case errors.Is(err, tree.ErrBadPath), errors.Is(err, tree.ErrBadValue), errors.Is(err, validate.ErrInvalid):
		return fmt.Errorf("%w: target %s: %s %s: %w", ErrInvalid, target, op.Kind, tree.FormatPath(op.Path), err)
	}
	return fmt.Errorf("target %s: %s %s: %w", target, op.Kind, tree.FormatPath(op.Path), err)
}

// pushCommit returns what the Pusher must apply for a commit, or nil when
// no element it touches is managed.
func (s *Store) pushCommit(h *Header, changes []TargetChange) *Commit {
	var c *Commit
	for _, tc := range changes {
		if tc.Target == ServerTarget || !s.pusher.Manages(tc.Target) {
			continue
		}
		if c == nil {
			c = &Commit{ID: h.ID, User: h.User}
		}
		c.Elements = append(c.Elements, ElementChange{
			Element: tc.Target,
			Ops:     minimalSet(tc.New),
			Change:  tc.New,
		})
	}
	return c
}

// minimalSet turns a change into the SetRequest that applies it on an
// element: whole list entries are deleted with one path, leaves are
// updated one by one.
func minimalSet(n *gpb.Notification) *gpb.SetRequest {
	req := &gpb.SetRequest{Prefix: &gpb.Path{Target: n.GetPrefix().GetTarget()}}
	var gone []string
	seen := map[string]bool{}
	for _, p := range n.GetDelete() {
		elems := p.GetElem()
		if l := len(elems); l >= 2 {
			if _, isKey := elems[l-2].GetKey()[elems[l-1].GetName()]; isKey {
				entry := elems[:l-1]
				if k := tree.FormatPath(entry); !seen[k] {
					seen[k] = true
					gone = append(gone, k)
					req.Delete = append(req.Delete, &gpb.Path{Elem: entry})
				}
			}
		}
	}
	for _, p := range n.GetDelete() {
		if !under(tree.FormatPath(p.GetElem()), gone) {
			req.Delete = append(req.Delete, p)
		}
	}
	req.Update = n.GetUpdate()
	return req
}

func under(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if len(path) > len(p) && path[:len(p)] == p && path[len(p)] == '/' {
			return true
		}
	}
	return false
}

// fail marks the store unusable after a durable write failed.
func (s *Store) fail(err error) {
	s.broken.CompareAndSwap(nil, &err)
	s.log.Error("datastore write failed; refusing further requests until restart", "err", err)
}
