package clients

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore"
)

// element is the Manager's side of one element of the inventory: its
// connection loop, its status, and the lock that serialises work on its
// configuration.
type element struct {
	m    *Manager
	name string

	mu  sync.Mutex
	cfg config
	// adapter is the connection, nil while there is none. Pushes may go
	// as soon as there is one: they serialise with the synchronisation
	// on opMu, which synchronisation takes only after reading running,
	// and a commit being pushed holds running until its push is done.
	adapter  Adapter
	attempts uint64 // connection attempts finished, failed or not
	lastErr  error  // why the last attempt failed
	// changed is closed and replaced when adapter or attempts change, for
	// pushes waiting for the element.
	changed chan struct{}
	status  Status
	// published is what nwmo's state holds of the element's entry, by
	// leaf name: only what differs is published again.
	published map[string]*gpb.TypedValue
	// alarms are the element's raised alarms, publishedAlarms what nwmo's
	// state holds of them; both by type (alarms.go).
	alarms, publishedAlarms map[string]datastore.Alarm
	// resync is set when the element may hold a change that running does
	// not (a push whose undo failed): running is pushed to it as soon as
	// it can be, whatever its policies.
	resync bool
	// removed is set once the element left the inventory: its status is
	// no longer published.
	removed bool
	// adopting is set while the element's own configuration is being
	// adopted as running: that commit is not pushed back to it.
	adopting bool
	cancel   context.CancelFunc // stops the connection loop
	done     chan struct{}      // closed when the loop has stopped
	// endSession ends the current connection, when a request finds it
	// broken before the session's own stream does.
	endSession context.CancelCauseFunc

	// opMu is held while the element's configuration is read or changed,
	// so that a comparison never sees half a push.
	opMu sync.Mutex
	// pushes counts the changes made (or maybe made) to the element's
	// configuration, so that a comparison can tell one happened while it
	// read running.
	pushes atomic.Uint64

	kick  chan struct{} // wakes the connection loop from its backoff
	check chan struct{} // asks for a comparison with running
}

func newElement(m *Manager, name string, c config) *element {
	return &element{
		m:       m,
		name:    name,
		cfg:     c,
		changed: make(chan struct{}),
		kick:    make(chan struct{}, 1),
		check:   make(chan struct{}, 1),
	}
}

func (e *element) managed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg.adapter != adapterNone
}

func (e *element) config() config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// start starts the connection loop; an element whose adapter is none only
// has its status published.
func (e *element) start() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.publishLocked()
	if e.cfg.adapter == adapterNone || e.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(e.m.ctx)
	e.cancel, e.done = cancel, make(chan struct{})
	e.m.wg.Add(1)
	go e.run(ctx, e.done)
}

// stop stops the connection loop and waits for it.
func (e *element) stop() {
	e.mu.Lock()
	cancel, done := e.cancel, e.done
	e.cancel = nil
	e.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// reconfigure takes a new inventory entry. It reports whether the
// connection settings changed, for the caller to reconnect (restart).
func (e *element) reconfigure(c config) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.cfg
	e.cfg = c
	if c.adapter == adapterNone {
		// Only provisioned: nothing is expected of it.
		e.clearLocked(UnreachableAlarm)
		e.clearLocked(OutOfSyncAlarm)
	}
	e.publishLocked()
	return old.target != c.target || old.adapter != c.adapter
}

// restart reconnects with the current settings.
func (e *element) restart() {
	e.m.log.Info("element's connection settings changed; reconnecting", "element", e.name)
	e.stop()
	e.start()
}

// run connects to the element and keeps it connected, waiting longer and
// longer between failed attempts, until ctx ends.
func (e *element) run(ctx context.Context, done chan struct{}) {
	defer e.m.wg.Done()
	defer close(done)
	o := e.m.opts
	wait := o.backoffMin
	first := true // the first synchronisation follows the initial-sync policy
	for {
		cfg := e.config()
		a, err := e.dial(ctx, cfg)
		if ctx.Err() != nil {
			if a != nil {
				a.Close()
			}
			return
		}
		if err != nil {
			e.connectFailed(cfg.target.Address, err)
			if !e.sleep(ctx, wait) {
				return
			}
			wait = min(wait*2, o.backoffMax)
			continue
		}
		e.connected(a)
		began := time.Now()
		err = e.session(ctx, a, &first)
		if ctx.Err() != nil {
			// Stopped (a new address, removal, shutdown): whatever the
			// session's last call returned, often a gRPC Canceled, nothing
			// failed.
			err = context.Canceled
		}
		e.disconnected(err)
		a.Close()
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > o.backoffMax {
			// It was up for a good while: this is a new failure.
			wait = o.backoffMin
		}
		if !e.sleep(ctx, wait) {
			return
		}
		wait = min(wait*2, o.backoffMax)
	}
}

func (e *element) dial(ctx context.Context, cfg config) (Adapter, error) {
	dial := e.m.opts.dialers[cfg.adapter]
	if dial == nil {
		return nil, &ElementError{Element: e.name, Op: "connect", Kind: ErrUnreachable,
			Err: fmt.Errorf("%w: no %q adapter in this nwmod", ErrUnsupported, cfg.adapter)}
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.target.Timeout)
	defer cancel()
	a, err := dial(dctx, cfg.target)
	if err != nil {
		return nil, elementError(e.name, "connect", err)
	}
	return a, nil
}

// sleep waits d, or less if a push wants the element now; it returns false
// when ctx ended.
func (e *element) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-e.kick:
	case <-ctx.Done():
		return false
	}
	return true
}

// session synchronises a fresh connection, then watches the element until
// the connection fails or ctx ends.
func (e *element) session(ctx context.Context, a Adapter, first *bool) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e.mu.Lock()
	e.endSession = cancel
	e.mu.Unlock()
	o := e.m.opts
	streamed := make(chan error, 1)
	go func() { streamed <- a.Subscribe(ctx, e.onNotification) }()

	// A synchronisation that fails while the element still answers (it
	// refused, timed out, or its configuration does not validate) is
	// tried again, with backoff; meanwhile the element is reported out of
	// sync and commits may still go to it.
	var retry <-chan time.Time
	wait := o.backoffMin
	synchronise := func() error {
		err := e.synchronise(ctx, a, *first)
		switch {
		case err == nil:
			*first, retry, wait = false, nil, o.backoffMin
		case isUnreachable(err):
			return err
		default:
			e.setError(err)
			e.m.log.Warn("synchronising element; trying again", "element", e.name, "in", wait, "err", err)
			retry = time.After(wait)
			wait = min(wait*2, o.backoffMax)
		}
		return nil
	}
	if err := synchronise(); err != nil {
		return err
	}

	var tick <-chan time.Time
	startTicker := func() {
		t := time.NewTicker(o.driftInterval)
		context.AfterFunc(ctx, t.Stop)
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-retry:
			if err := synchronise(); err != nil {
				return err
			}
		case err := <-streamed:
			streamed = nil
			if errors.Is(err, ErrUnsupported) {
				// No stream of changes: compare now and then instead.
				startTicker()
				continue
			}
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return elementError(e.name, "stream changes", err)
		case <-e.check:
			// Let a burst of changes settle into one comparison.
			select {
			case <-time.After(o.driftSettle):
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			if retry != nil {
				// The synchronisation to come compares anyway.
				continue
			}
			if err := synchronise(); err != nil {
				return err
			}
		case <-tick:
			if retry != nil {
				continue
			}
			if err := synchronise(); err != nil {
				return err
			}
		}
	}
}

// synchronise brings the element in line with running: the first time
// (until it succeeds) by its initial-sync policy, afterwards by its drift
// policy, and always by pushing running when it may hold a change running
// does not.
func (e *element) synchronise(ctx context.Context, a Adapter, first bool) error {
	e.mu.Lock()
	cfg, resync := e.cfg, e.resync
	e.mu.Unlock()
	switch {
	case resync:
		return e.reconcile(ctx, a)
	case !first:
		return e.compare(ctx, a, true)
	case cfg.initialSync == "report":
		return e.compare(ctx, a, false)
	case cfg.initialSync == "adopt":
		return e.adopt(ctx, a)
	}
	return e.reconcile(ctx, a)
}

// waitReady returns the element's adapter once the element is connected.
// It wakes a connection loop that is waiting to retry, and fails when an
// attempt made since it was called failed, or after the element's
// timeout.
func (e *element) waitReady(ctx context.Context) (Adapter, error) {
	e.mu.Lock()
	if e.adapter != nil {
		defer e.mu.Unlock()
		return e.adapter, nil
	}
	n0, timeout := e.attempts, e.cfg.target.Timeout
	e.mu.Unlock()
	select {
	case e.kick <- struct{}{}:
	default:
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		e.mu.Lock()
		a, n, ch, lastErr := e.adapter, e.attempts, e.changed, e.lastErr
		e.mu.Unlock()
		switch {
		case a != nil:
			return a, nil
		case n > n0 && lastErr != nil:
			return nil, lastErr
		}
		select {
		case <-ch:
		case <-timer.C:
			why := "no attempt finished yet"
			if lastErr != nil {
				why = "last attempt: " + status.Convert(lastErr).Message()
			}
			return nil, &ElementError{Element: e.name, Op: "connect", Kind: ErrUnreachable,
				Err: status.Errorf(codes.Unavailable, "not connected within %v (%s)", timeout, why)}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// lost ends the connection a when a request found it broken (the element
// is unreachable through it): pushes then wait for a fresh connection
// instead of failing on the broken one.
func (e *element) lost(a Adapter, err error) {
	if !isUnreachable(err) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.adapter != a || e.endSession == nil {
		return
	}
	e.adapter = nil
	e.signalLocked()
	e.endSession(err)
}

// current returns the adapter, nil while disconnected.
func (e *element) current() Adapter {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.adapter
}

// requestCheck asks the session for a comparison with running.
func (e *element) requestCheck() {
	select {
	case e.check <- struct{}{}:
	default:
	}
}

func isUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }
