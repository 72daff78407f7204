package server

import (
	"context"
	"fmt"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/server/access"
)

// authorize checks that the request's user may do a at every path (in
// canonical form) of element, an element's name or nwmo. A candidate's
// view of an element counts as the element. Without an access file
// everything is allowed.
func (s *Server) authorize(ctx context.Context, a access.Action, element string, paths ...[]*gpb.PathElem) error {
	if s.opts.access == nil {
		return nil
	}
	pol, user := s.policy(ctx), userOf(ctx)
	for _, p := range paths {
		if !pol.Allowed(user, a, element, p) {
			return fmt.Errorf("%w: user %s may not %s %s on %s", errDenied, user, a, tree.FormatPath(p), element)
		}
	}
	return nil
}

// authorizeChanges checks that the request's user may do a at every leaf
// that changes hold, on their elements.
func (s *Server) authorizeChanges(ctx context.Context, a access.Action, changes []datastore.TargetChange) error {
	if s.opts.access == nil {
		return nil
	}
	for _, tc := range changes {
		paths := make([][]*gpb.PathElem, 0, len(tc.New.GetUpdate())+len(tc.New.GetDelete()))
		for _, u := range tc.New.GetUpdate() {
			paths = append(paths, u.GetPath().GetElem())
		}
		for _, d := range tc.New.GetDelete() {
			paths = append(paths, d.GetElem())
		}
		if err := s.authorize(ctx, a, tc.Target, paths...); err != nil {
			return err
		}
	}
	return nil
}

// permitted is the datastore's check, for a rollback or a candidate
// commit, that the request's user may write every leaf it changes.
func (s *Server) permitted(ctx context.Context) []datastore.CommitOption {
	if s.opts.access == nil {
		return nil
	}
	return []datastore.CommitOption{datastore.Permitted(func(target string, leaf []*gpb.PathElem) error {
		return s.authorize(ctx, access.Write, target, leaf)
	})}
}

// authorizePending checks that the request's user may write what the
// pending confirmed commit id changed: confirming it keeps the change,
// cancelling it undoes it. When id is not pending there is nothing to
// check: the datastore says so.
func (s *Server) authorizePending(ctx context.Context, id string) error {
	if s.opts.access == nil {
		return nil
	}
	p, ok := s.store.Pending()
	if !ok || p.ID != id {
		return nil
	}
	_, changes, err := s.store.Commit(p.Commit)
	if err != nil {
		return err
	}
	return s.authorizeChanges(ctx, access.Write, changes)
}
