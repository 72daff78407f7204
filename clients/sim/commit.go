package sim

import (
	"time"

	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore/tree"
)

// defaultRollback is the rollback duration of a commit that gives none, as
// the OpenConfig commit-confirmed specification says.
const defaultRollback = 10 * time.Minute

// pendingCommit is the element's one confirmed commit waiting for its
// confirm.
type pendingCommit struct {
	id    string
	undo  []tree.Op
	timer *time.Timer
}

// commitExtension returns the Commit extension of a request, or nil.
func commitExtension(exts []*gnmi_ext.Extension) (*gnmi_ext.Commit, error) {
	var c *gnmi_ext.Commit
	for _, x := range exts {
		if cx := x.GetCommit(); cx != nil {
			if c != nil {
				return nil, status.Error(codes.InvalidArgument, "more than one Commit extension")
			}
			c = cx
		}
	}
	if c != nil && c.GetId() == "" {
		return nil, status.Error(codes.InvalidArgument, "Commit extension without an id")
	}
	return c, nil
}

// commit applies a Set's operations under the Commit extension's action,
// as the OpenConfig commit-confirmed specification says. The caller holds
// e.mu.
func (e *Element) commit(c *gnmi_ext.Commit, ops []tree.Op) error {
	if e.f.opts.noConfirm {
		c = nil
	}
	if c == nil {
		if e.pending != nil && len(ops) > 0 {
			return status.Errorf(codes.FailedPrecondition, "confirmed commit %q is pending on %s; confirm or cancel it first", e.pending.id, e.name)
		}
		_, err := e.edit(ops, true)
		return err
	}
	if _, ok := c.GetAction().(*gnmi_ext.Commit_Commit); !ok && len(ops) > 0 {
		return status.Error(codes.InvalidArgument, "only a commit action may carry operations; confirm, cancel and set-rollback-duration may not")
	}
	switch a := c.GetAction().(type) {
	case *gnmi_ext.Commit_Commit:
		if e.pending != nil {
			return status.Errorf(codes.FailedPrecondition, "confirmed commit %q is pending on %s; confirm or cancel it first", e.pending.id, e.name)
		}
		d, err := rollbackDuration(a.Commit.GetRollbackDuration() != nil, a.Commit.GetRollbackDuration().AsDuration())
		if err != nil {
			return err
		}
		changes, err := e.edit(ops, true)
		if err != nil {
			return err
		}
		undo, err := inverse(changes)
		if err != nil {
			return status.Errorf(codes.Internal, "recording the commit's undo: %v", err)
		}
		p := &pendingCommit{id: c.GetId(), undo: undo}
		p.timer = time.AfterFunc(d, func() { e.expire(p) })
		e.pending = p
		return nil
	case *gnmi_ext.Commit_Confirm:
		if err := e.checkPending(c.GetId()); err != nil {
			return err
		}
		e.pending.timer.Stop()
		e.pending = nil
		return nil
	case *gnmi_ext.Commit_Cancel:
		if err := e.checkPending(c.GetId()); err != nil {
			return err
		}
		e.rollbackLocked("cancelled")
		return nil
	case *gnmi_ext.Commit_SetRollbackDuration:
		if err := e.checkPending(c.GetId()); err != nil {
			return err
		}
		d, err := rollbackDuration(true, a.SetRollbackDuration.GetRollbackDuration().AsDuration())
		if err != nil {
			return err
		}
		e.pending.timer.Reset(d)
		return nil
	}
	return status.Errorf(codes.InvalidArgument, "Commit extension %q has no action", c.GetId())
}

func rollbackDuration(given bool, d time.Duration) (time.Duration, error) {
	switch {
	case !given:
		return defaultRollback, nil
	case d <= 0:
		return 0, status.Errorf(codes.InvalidArgument, "rollback duration must be positive, not %v", d)
	}
	return d, nil
}

// checkPending checks that confirm, cancel or set-rollback-duration name
// the pending commit. The caller holds e.mu.
func (e *Element) checkPending(id string) error {
	if e.pending == nil {
		return status.Errorf(codes.FailedPrecondition, "no confirmed commit is pending on %s", e.name)
	}
	if e.pending.id != id {
		return status.Errorf(codes.InvalidArgument, "confirmed commit %q is pending on %s, not %q", e.pending.id, e.name, id)
	}
	return nil
}

// expire rolls the pending commit back when its timer fires unconfirmed.
func (e *Element) expire(p *pendingCommit) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending == p {
		e.rollbackLocked("not confirmed in time")
	}
}
