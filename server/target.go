package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

// Origins: elements are described by the OpenConfig models, which gNMI
// makes the default origin; nwmo's own model answers to its module name.
const (
	originOpenConfig = "openconfig"
	originOwn        = "nwmo"
)

// target is what a request's prefix.target addresses.
type target struct {
	// name is the datastore's name for it: "nwmo", "sim-0", or
	// "sim-0@change42" for candidate change42's view of sim-0.
	name      string
	element   string // "nwmo" or the element's name
	candidate string // "" for running
	// echo is the prefix.target to put in responses: the client's own,
	// and "" when it set none (gNMI §2.2.2.1).
	echo string
	sc   *tree.Schema
}

// own reports whether the target is nwmo's own model.
func (t target) own() bool { return t.element == datastore.ServerTarget }

// prefix is the prefix of the notifications sent for the target.
func (t target) prefix() *gpb.Path {
	if t.echo == "" {
		return nil
	}
	return &gpb.Path{Target: t.echo}
}

// resolveTarget finds the target a request prefix names. An empty target
// is nwmo; ELEMENT@CANDIDATE is a candidate's view of an element (which
// need not exist yet: a candidate is created by its first write).
func (s *Server) resolveTarget(ctx context.Context, prefix *gpb.Path) (target, error) {
	name := prefix.GetTarget()
	t := target{name: name, element: name, echo: name}
	if i := strings.IndexByte(name, '@'); i >= 0 {
		t.element, t.candidate = name[:i], name[i+1:]
		if t.element == "" || t.candidate == "" {
			return target{}, badRequest("target %q: write ELEMENT@CANDIDATE, e.g. sim-0@change42", name)
		}
	}
	if t.element == "" {
		t.element, t.name = datastore.ServerTarget, datastore.ServerTarget
	}
	if err := s.store.Managed(t.element); err != nil {
		return target{}, s.unknownTarget(ctx, t.element, err)
	}
	if s.hidden(ctx, t.element) {
		nf := s.unknownTarget(ctx, t.element, fmt.Errorf("%w: target %q", datastore.ErrNotFound, t.element))
		return target{}, hiddenTargetError{nf}
	}
	if t.own() && t.candidate != "" {
		return target{}, badRequest("target %q: nwmo's own configuration has no candidates; use target nwmo", name)
	}
	t.sc = s.store.Schema(t.name)
	return t, nil
}

// unknownTarget is the answer to a request naming a target that is not
// managed: the datastore's, which lists the targets there are, or under
// an access policy one that lists only those the user's rules name, so
// that a typo does not tell a user of the elements they have no rights
// on.
func (s *Server) unknownTarget(ctx context.Context, name string, err error) error {
	if s.opts.access == nil || !errors.Is(err, datastore.ErrNotFound) {
		return err
	}
	pol, user := s.policy(ctx), userOf(ctx)
	var seen []string
	for _, t := range s.store.Targets() {
		if pol.Sees(user, t) {
			seen = append(seen, t)
		}
	}
	if len(seen) == 0 {
		return fmt.Errorf("%w: target %q is not managed; user %s has rights on no target", datastore.ErrNotFound, name, user)
	}
	return fmt.Errorf("%w: target %q is not managed; targets user %s has rights on: %s", datastore.ErrNotFound, name, user, strings.Join(seen, ", "))
}

// hidden reports whether element is one the user's rules name nowhere.
// Such a user is answered as if it were not managed at all: telling
// PermissionDenied from NotFound would tell them which names are
// elements. nwmo itself is no secret.
func (s *Server) hidden(ctx context.Context, element string) bool {
	return s.opts.access != nil && element != datastore.ServerTarget &&
		!s.policy(ctx).Sees(userOf(ctx), element)
}

// hiddenTargetError is the answer to a request naming an element the
// user's rules name nowhere: to the client, the NotFound of a target that
// is not managed; to the audit trail, a refusal by the access policy.
type hiddenTargetError struct{ notFound error }

func (e hiddenTargetError) Error() string   { return e.notFound.Error() }
func (e hiddenTargetError) Unwrap() []error { return []error{e.notFound, errHidden} }

// checkOrigin checks the origin of a path against the target. An element
// serves origin "openconfig" (the default, so "" too); nwmo serves its own
// module's origin "nwmo", and "" or "openconfig" as well, since an empty
// origin means "openconfig" and a client spelling out the default should
// get what one leaving it out gets. The origin is set in the prefix or in
// the path, never in both (gNMI path conventions).
func checkOrigin(t target, prefix, p *gpb.Path) error {
	po, o := prefix.GetOrigin(), p.GetOrigin()
	if po != "" && o != "" {
		return badRequest("path %s: origin is set both in the prefix (%q) and in the path (%q); set it in one place", formatPath(p), po, o)
	}
	if o == "" {
		o = po
	}
	switch {
	case o == "" || o == originOpenConfig:
		return nil
	case o == originOwn && t.own():
		return nil
	case t.own():
		return badRequest("path %s: target nwmo serves origin %q (or %q, or none), not %q", formatPath(p), originOwn, originOpenConfig, o)
	}
	return badRequest("path %s: target %s serves origin %q (or none), not %q", formatPath(p), t.element, originOpenConfig, o)
}
