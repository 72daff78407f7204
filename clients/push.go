package clients

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore"
)

// Push applies a commit to every element it touches, all or none.
//
// Elements that have confirmed commits of their own get a real two-phase
// commit: the change is applied on every element as a confirmed commit
// (phase one), then confirmed on every element (phase two); if any
// element fails phase one, the others cancel theirs. Elements without
// them (detected when connecting) have their old values read first and,
// should another element fail, written back (compensation). Both kinds
// may take part in one commit.
//
// An element that fails is named in the error, an *ElementError keeping
// the element's gRPC status. When an undo cannot reach an element, or an
// element cannot be told to confirm, the element is marked to be brought
// back to running as soon as it can be, and reported out of sync until
// then.
func (m *Manager) Push(ctx context.Context, c *datastore.Commit) error {
	if err := m.waitStarted(ctx); err != nil {
		return err
	}
	var parts []*part
	for i := range c.Elements {
		ec := &c.Elements[i]
		e, err := m.elementFor(ctx, ec.Element)
		if err != nil {
			return err
		}
		if !e.managed() || e.adoptedBy(c) {
			continue
		}
		parts = append(parts, &part{e: e, req: outgoing(ec.Ops)})
	}
	if len(parts) == 0 {
		return nil
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].e.name < parts[j].e.name })

	// Wait for every element to be connected before taking any of their
	// locks, so that one slow connection does not hold up the others.
	if err := m.each(ctx, parts, func(ctx context.Context, p *part) error {
		var err error
		p.a, err = p.e.waitReady(ctx)
		return err
	}); err != nil {
		return err
	}
	for _, p := range parts {
		p.e.opMu.Lock()
		defer p.e.opMu.Unlock()
		if p.e.current() != p.a {
			return &ElementError{Element: p.e.name, Op: "apply the change", Kind: ErrUnreachable,
				Err: errors.New("the connection was lost before the change was sent")}
		}
	}

	id := formatID(c.ID)
	alone := len(parts) == 1
	err := m.each(ctx, parts, func(ctx context.Context, p *part) error { return p.apply(ctx, id, m.opts.confirmWindow, alone) })
	if err == nil && ctx.Err() != nil {
		// The caller gave up before the decision: nothing is committed.
		err = ctx.Err()
	}
	// The outcome must reach the elements even when the caller is gone.
	bg := context.WithoutCancel(ctx)
	if err != nil {
		_ = m.each(bg, parts, func(ctx context.Context, p *part) error { p.undo(ctx, id); return nil })
		return err
	}
	_ = m.each(bg, parts, func(ctx context.Context, p *part) error { p.confirm(ctx, id); return nil })
	for _, p := range parts {
		p.e.setLastCommit(c.ID)
	}
	return nil
}

// outgoing is the request sent to an element: the commit's operations
// without the target, which names the element to nwmo and not to the
// element itself.
func outgoing(req *gpb.SetRequest) *gpb.SetRequest {
	out := &gpb.SetRequest{Delete: req.GetDelete(), Replace: req.GetReplace(), Update: req.GetUpdate()}
	if p := req.GetPrefix(); len(p.GetElem()) > 0 || p.GetOrigin() != "" {
		out.Prefix = &gpb.Path{Origin: p.GetOrigin(), Elem: p.GetElem()}
	}
	return out
}

// outcome is what became of a part's change on its element.
type outcome int

const (
	notApplied outcome = iota
	applied
	unknown // the element did not answer: it may have applied the change
)

// part is one element's share of a push.
type part struct {
	e   *element
	a   Adapter
	req *gpb.SetRequest

	confirmed bool            // applied as a confirmed commit of the element's own
	undoReq   *gpb.SetRequest // how to undo it otherwise
	outcome   outcome
}

// apply is phase one on one element. The caller holds the element's lock.
// An element alone in a commit gets a plain Set: a Set is all or nothing
// on its own, so there is nothing to coordinate.
func (p *part) apply(ctx context.Context, id string, window time.Duration, alone bool) error {
	rctx, cancel := p.e.requestCtx(ctx)
	defer cancel()
	p.e.pushes.Add(1)
	if alone {
		return p.record(ctx, "apply the change", p.a.Apply(rctx, p.req, nil))
	}
	if p.a.CommitConfirmed() {
		err := p.a.Apply(rctx, p.req, &Confirm{ID: id, Rollback: window})
		if status.Code(err) != codes.Unimplemented {
			p.confirmed = true
			return p.record(ctx, "apply the change", err)
		}
		// The element does not have confirmed commits after all (the
		// adapter has noted it).
		p.e.refreshCommitConfirmed(p.a)
	}
	old, err := p.a.Config(rctx, readPaths(p.req)...)
	if err != nil {
		return p.record(ctx, "read the values to restore", err)
	}
	oldLeaves, err := p.e.m.decode(old)
	if err != nil {
		return p.record(ctx, "read the values to restore", err)
	}
	p.undoReq = inverse(p.req, oldLeaves)
	return p.record(ctx, "apply the change", p.a.Apply(rctx, p.req, nil))
}

// record notes the outcome of applying the change and classifies an
// error.
func (p *part) record(ctx context.Context, op string, err error) error {
	if err == nil {
		p.outcome = applied
		return nil
	}
	if ctx.Err() != nil {
		// The caller's cancellation, not the element's failure.
		p.outcome = unknown
		return ctx.Err()
	}
	ee := elementError(p.e.name, op, err)
	if op == "apply the change" && (errors.Is(ee, ErrUnreachable) || errors.Is(ee, ErrTimeout)) {
		p.outcome = unknown
	}
	p.e.setError(ee)
	p.e.lost(p.a, ee)
	return ee
}

// undo takes back phase one on one element that may have applied it.
func (p *part) undo(ctx context.Context, id string) {
	if p.outcome == notApplied {
		return
	}
	rctx, cancel := p.e.requestCtx(ctx)
	defer cancel()
	p.e.pushes.Add(1)
	var err error
	switch {
	case p.confirmed:
		err = p.a.Cancel(rctx, id)
		if p.outcome == unknown && isNothingPending(err) {
			// It never applied the change.
			err = nil
		}
	case p.undoReq != nil:
		err = p.a.Apply(rctx, p.undoReq, nil)
	default:
		// A plain Set that got no answer: the element may hold it.
		err = errors.New("the element did not answer; it may have applied the change")
	}
	if err != nil {
		ee := elementError(p.e.name, "undo the change", err)
		p.e.m.log.Error("could not undo a change on an element; it will be brought back to running", "element", p.e.name, "err", ee)
		p.e.needResync(ee)
		p.e.lost(p.a, ee)
	}
}

// confirm is phase two on one element. An element that cannot be told
// undoes the change by itself when its rollback duration passes, and is
// brought back to running when it can be.
func (p *part) confirm(ctx context.Context, id string) {
	if !p.confirmed {
		return
	}
	rctx, cancel := p.e.requestCtx(ctx)
	defer cancel()
	if err := p.a.Confirm(rctx, id); err != nil {
		ee := elementError(p.e.name, "confirm the change", err)
		p.e.m.log.Error("could not confirm a change on an element; it will be brought back to running", "element", p.e.name, "err", ee)
		p.e.needResync(ee)
		p.e.lost(p.a, ee)
	}
}

// isNothingPending reports whether an element answered that it has no
// such confirmed commit.
func isNothingPending(err error) bool {
	c := status.Code(err)
	return c == codes.FailedPrecondition || c == codes.InvalidArgument
}

// each runs fn on every part, at most the Manager's parallelism at once,
// and returns the failures as one error: the first element's, naming the
// others.
func (m *Manager) each(ctx context.Context, parts []*part, fn func(context.Context, *part) error) error {
	errs := make([]error, len(parts))
	sem := make(chan struct{}, m.opts.parallel)
	var wg sync.WaitGroup
	for i, p := range parts {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(ctx, p)
		}()
	}
	wg.Wait()
	return pushError(ctx, parts, errs)
}

func pushError(ctx context.Context, parts []*part, errs []error) error {
	var first error
	var others []string
	for i, err := range errs {
		switch {
		case err == nil:
		case first == nil:
			first = err
		default:
			others = append(others, parts[i].e.name)
		}
	}
	switch {
	case first == nil:
		return nil
	case ctx.Err() != nil && errors.Is(first, ctx.Err()):
		return ctx.Err()
	case len(others) > 0:
		return fmt.Errorf("%w (and %d more failed: %s)", first, len(others), strings.Join(others, ", "))
	}
	return first
}
