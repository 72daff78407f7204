package server

import (
	"context"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/server/audit"
)

// The gNMI Commit extension (openconfig/reference gnmi-commit-confirmed.md):
//   - commit: the SetRequest is a confirmed commit, rolled back unless
//     confirmed within rollback_duration (10 minutes when absent; 0 is
//     InvalidArgument). With no operations and an id naming an open
//     candidate, the candidate is committed that way, whatever the target.
//   - confirm, cancel: make the pending commit permanent, or roll it back
//     now. Nothing pending is FailedPrecondition, another id
//     InvalidArgument.
//   - set_rollback_duration: restart the pending commit's timer with a new
//     (positive) duration.
// While a commit is pending, any other Set is FailedPrecondition.

// commitExtension returns the Commit extension of a request, if any.
func commitExtension(exts []*gnmi_ext.Extension) (*gnmi_ext.Commit, error) {
	var c *gnmi_ext.Commit
	for _, e := range exts {
		x := e.GetCommit()
		if x == nil {
			continue
		}
		if c != nil {
			return nil, badRequest("more than one Commit extension")
		}
		c = x
	}
	switch {
	case c == nil:
		return nil, nil
	case c.GetId() == "":
		return nil, badRequest("Commit extension without an id")
	case c.GetAction() == nil:
		return nil, badRequest("Commit extension %q without an action (commit, confirm, cancel or set_rollback_duration)", c.GetId())
	}
	return c, nil
}

func actionName(c *gnmi_ext.Commit) string {
	switch c.GetAction().(type) {
	case *gnmi_ext.Commit_Commit:
		return "commit"
	case *gnmi_ext.Commit_Confirm:
		return "confirm"
	case *gnmi_ext.Commit_Cancel:
		return "cancel"
	case *gnmi_ext.Commit_SetRollbackDuration:
		return "set_rollback_duration"
	}
	return "no action"
}

// confirmOptions are the datastore's options for a commit action.
func confirmOptions(c *gnmi_ext.Commit) (*datastore.ConfirmOptions, error) {
	d := c.GetCommit().GetRollbackDuration()
	if d == nil {
		// The datastore's default: 10 minutes.
		return &datastore.ConfirmOptions{ID: c.GetId()}, nil
	}
	timeout, err := rollbackDuration(c, d)
	if err != nil {
		return nil, err
	}
	return &datastore.ConfirmOptions{ID: c.GetId(), Timeout: timeout}, nil
}

func rollbackDuration(c *gnmi_ext.Commit, d *durationpb.Duration) (time.Duration, error) {
	if d == nil {
		return 0, badRequest("Commit extension %q: %s needs a rollback_duration", c.GetId(), actionName(c))
	}
	if err := d.CheckValid(); err != nil {
		return 0, badRequest("Commit extension %q: rollback_duration: %v", c.GetId(), err)
	}
	if d.AsDuration() <= 0 {
		return 0, badRequest("Commit extension %q: rollback_duration must be positive, not %v", c.GetId(), d.AsDuration())
	}
	return d.AsDuration(), nil
}

// commitAction carries out a Commit extension on a SetRequest without
// operations: the commit of a candidate, or an action on the pending
// commit.
// It notes in rec, when not nil, the commit it made or acted on.
func (s *Server) commitAction(ctx context.Context, req *gpb.SetRequest, c *gnmi_ext.Commit, user string, rec *audit.Record) (*gpb.SetResponse, error) {
	var res datastore.Result
	var err error
	if _, isCommit := c.GetAction().(*gnmi_ext.Commit_Commit); !isCommit {
		if err := s.authorizePending(ctx, c.GetId()); err != nil {
			return nil, toStatus(err)
		}
	}
	switch a := c.GetAction().(type) {
	case *gnmi_ext.Commit_Commit:
		var opts *datastore.ConfirmOptions
		if opts, err = confirmOptions(c); err == nil {
			res, err = s.store.CommitCandidate(ctx, c.GetId(), user, "", opts, s.permitted(ctx)...)
		}
	case *gnmi_ext.Commit_Confirm:
		res, err = s.store.Confirm(ctx, c.GetId())
	case *gnmi_ext.Commit_Cancel:
		res, err = s.store.Cancel(ctx, c.GetId())
	case *gnmi_ext.Commit_SetRollbackDuration:
		var d time.Duration
		if d, err = rollbackDuration(c, a.SetRollbackDuration.GetRollbackDuration()); err == nil {
			err = s.store.SetRollbackDuration(ctx, c.GetId(), d)
			res.Time = time.Now().UnixNano()
		}
	}
	if err != nil {
		return nil, toStatus(err)
	}
	if rec != nil {
		rec.Commit = res.ID
	}
	return &gpb.SetResponse{Prefix: req.GetPrefix(), Timestamp: res.Time}, nil
}
