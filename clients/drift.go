package clients

import (
	"context"
	"errors"
	"fmt"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

// AdoptUser is the user of the commits that adopt an element's own
// configuration as running.
const AdoptUser = "nwmo-adopt"

// maxRetries bounds how often a comparison starts again because a push
// changed the element while running was being read.
const maxRetries = 5

// snapshot reads running and then the element's configuration such that
// no push to the element happened in between, and calls fn with both
// while no push can happen. It returns false when pushes kept coming.
//
// Running is read first and without the element's lock: a commit being
// pushed holds running's lock until its push is decided, and the push
// needs the element's lock.
func (e *element) snapshot(ctx context.Context, a Adapter, fn func(running, element leaves) error) (bool, error) {
	for range maxRetries {
		before := e.pushes.Load()
		running, err := e.m.running(e.name)
		if err != nil {
			return false, err
		}
		e.opMu.Lock()
		if e.pushes.Load() != before {
			e.opMu.Unlock()
			continue
		}
		err = func() error {
			defer e.opMu.Unlock()
			rctx, cancel := e.requestCtx(ctx)
			defer cancel()
			ns, err := a.Config(rctx)
			if err != nil {
				return elementError(e.name, "read its configuration", err)
			}
			el, err := e.m.decode(ns)
			if err != nil {
				return err
			}
			return fn(running, el)
		}()
		return true, err
	}
	return false, nil
}

// compare compares the element's configuration with running and records
// the outcome; with repair, drift is repaired at once when the element's
// drift policy says so.
func (e *element) compare(ctx context.Context, a Adapter, repair bool) error {
	var d drift
	done, err := e.snapshot(ctx, a, func(running, element leaves) error {
		d = compareLeaves(running, element)
		return nil
	})
	if err != nil || !done {
		// A later change or tick compares again.
		return err
	}
	e.setSync(d.count == 0, d.count, nil)
	if d.count > 0 && repair && e.config().drift == "repair" {
		e.m.log.Info("repairing drift", "element", e.name, "differing-paths", d.count)
		return e.reconcile(ctx, a)
	}
	return nil
}

// reconcile pushes running to the element: whatever differs is set back,
// whatever the element has beyond running is deleted.
func (e *element) reconcile(ctx context.Context, a Adapter) error {
	var d drift
	done, err := e.snapshot(ctx, a, func(running, element leaves) error {
		d = compareLeaves(running, element)
		if d.count == 0 {
			return nil
		}
		e.pushes.Add(1)
		rctx, cancel := e.requestCtx(ctx)
		defer cancel()
		if err := a.Apply(rctx, d.request(), nil); err != nil {
			return elementError(e.name, "push running", err)
		}
		return nil
	})
	switch {
	case err != nil:
		// d.count is 0 when the element could not be read, and counts
		// the paths that differ when the push failed.
		e.setSync(false, d.count, err)
		return err
	case !done:
		return &ElementError{Element: e.name, Op: "push running", Kind: ErrTimeout,
			Err: errors.New("commits kept changing the element; try again")}
	}
	if d.count > 0 {
		e.m.log.Info("pushed running to the element", "element", e.name, "changed-paths", d.count)
	}
	e.setSync(true, 0, nil)
	return nil
}

// adopt makes the element's own configuration running when running holds
// nothing for it yet; otherwise it pushes running.
func (e *element) adopt(ctx context.Context, a Adapter) error {
	running, err := e.m.running(e.name)
	if err != nil {
		return err
	}
	if len(running) > 0 {
		return e.reconcile(ctx, a)
	}
	rctx, cancel := e.requestCtx(ctx)
	e.opMu.Lock()
	ns, err := a.Config(rctx)
	e.opMu.Unlock()
	cancel()
	if err != nil {
		return elementError(e.name, "read its configuration", err)
	}
	own, err := e.m.decode(ns)
	if err != nil {
		return err
	}
	if len(own) > 0 {
		ops := make([]tree.Op, 0, len(own))
		ls := make([]leaf, 0, len(own))
		for _, l := range own {
			ls = append(ls, l)
		}
		sortLeaves(ls)
		for _, l := range ls {
			ops = append(ops, tree.Op{Kind: tree.Update, Path: l.path, Value: l.val})
		}
		e.setAdopting(true)
		_, err = e.m.store.Set(ctx, datastore.Request{Target: e.name, User: AdoptUser,
			Message: "adopt the element's own configuration", Ops: ops})
		e.setAdopting(false)
		if err != nil {
			return fmt.Errorf("adopting the configuration of %s: %w", e.name, err)
		}
		e.m.log.Info("adopted the element's configuration as running", "element", e.name, "leaves", len(ops))
	}
	return e.compare(ctx, a, false)
}

func (e *element) setAdopting(b bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.adopting = b
}

// adoptedBy reports whether a commit is the adoption of this element's
// configuration, which it already has.
func (e *element) adoptedBy(c *datastore.Commit) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.adopting && c.User == AdoptUser
}

// requestCtx bounds one request to the element by its timeout.
func (e *element) requestCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.config().target.Timeout)
}

// Reconcile pushes running to an element now: what differs is set back,
// what the element has beyond running is deleted. It fails when the
// element is not connected.
func (m *Manager) Reconcile(ctx context.Context, name string) error {
	if err := m.waitStarted(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	e := m.elements[name]
	m.mu.Unlock()
	if e == nil || !e.managed() {
		return &ElementError{Element: name, Op: "reconcile", Kind: ErrRejected, Err: ErrNotManaged}
	}
	a, err := e.waitReady(ctx)
	if err != nil {
		return err
	}
	return e.reconcile(ctx, a)
}

// Check compares an element with running now, and returns its status.
func (m *Manager) Check(ctx context.Context, name string) (Status, error) {
	if err := m.waitStarted(ctx); err != nil {
		return Status{}, err
	}
	m.mu.Lock()
	e := m.elements[name]
	m.mu.Unlock()
	if e == nil || !e.managed() {
		return Status{}, &ElementError{Element: name, Op: "compare", Kind: ErrRejected, Err: ErrNotManaged}
	}
	a, err := e.waitReady(ctx)
	if err != nil {
		return Status{}, err
	}
	if err := e.compare(ctx, a, false); err != nil {
		return Status{}, err
	}
	s, _ := m.Status(name)
	return s, nil
}
