package clients

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

// Manager is nwmo's southbound: it keeps one connection per element of the
// inventory, pushes committed changes to the elements (all or none), finds
// and reports drift, collects the elements' state, and publishes each
// element's connection state under /targets/target[name]/state, and its
// alarms under /alarms, on target nwmo. It implements datastore.Pusher.
//
// The store needs the Manager when it opens, and the Manager needs the
// store to follow the inventory, so a Manager is made with New, handed to
// the store with datastore.Options.WithPusher, and then started with
// Start:
//
//	m := clients.New(clients.WithAdapter("gnmi", gnmi.Dialer()))
//	store, err := datastore.Open(datastore.DefaultOptions(dir).WithPusher(m))
//	err = m.Start(ctx, store)
//	defer m.Close() // before store.Close
type Manager struct {
	opts   options
	log    *slog.Logger
	schema *tree.Schema // the elements' model

	started chan struct{}
	store   *datastore.Store // set before started is closed
	ctx     context.Context  // ends with Close
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	pub publisher

	mu       sync.Mutex
	elements map[string]*element
	// inventory is closed and replaced each time the inventory has been
	// read, for pushes waiting to learn of a new element.
	inventory chan struct{}
	closed    bool
}

var _ datastore.Pusher = (*Manager)(nil)

// New returns a Manager; it connects to nothing until Start.
func New(opts ...Option) *Manager {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		opts:      o,
		log:       o.log,
		started:   make(chan struct{}),
		ctx:       ctx,
		cancel:    cancel,
		elements:  map[string]*element{},
		inventory: make(chan struct{}),
		pub:       publisher{dirty: map[*element]struct{}{}, wake: make(chan struct{}, 1)},
	}
}

// Start reads the inventory from store (the nwmo target's running
// configuration), starts connecting to every element in it, and follows
// its changes on the commit feed until Close. It returns once the
// inventory is read; connections are made in the background. ctx bounds
// Start only.
func (m *Manager) Start(ctx context.Context, store *datastore.Store) error {
	device, _, err := datastore.Models()
	if err != nil {
		return err
	}
	select {
	case <-m.started:
		return errors.New("clients: Manager started twice")
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.schema = device.Schema
	m.store = store
	m.wg.Add(1)
	go m.publish()
	// Watch before reading, so that no change falls in between.
	w := store.Watch()
	if err := m.readInventory(); err != nil {
		return fmt.Errorf("reading the inventory: %w", err)
	}
	close(m.started)
	m.wg.Add(1)
	go m.follow(w)
	return nil
}

// Close disconnects from every element and waits for the Manager's
// goroutines. Close it before the store. It is safe to call more than
// once.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	els := make([]*element, 0, len(m.elements))
	for _, e := range m.elements {
		els = append(els, e)
	}
	m.mu.Unlock()
	m.cancel()
	for _, e := range els {
		e.stop()
	}
	m.wg.Wait()
	return nil
}

// Manages reports whether commits on element must be pushed to it: every
// element is, but those whose adapter is none. An element the Manager
// has not seen in the inventory yet is assumed managed; Push waits to
// learn about it.
func (m *Manager) Manages(name string) bool {
	m.mu.Lock()
	e := m.elements[name]
	m.mu.Unlock()
	return e == nil || e.managed()
}

// Status is what the Manager knows of one element; it is also published
// under /targets/target[name]/state on target nwmo.
type Status struct {
	Connected bool
	// InSync is whether the element's configuration equals running, as
	// last compared; DriftCount is how many leaf paths differed.
	InSync     bool
	DriftCount int
	// CommitConfirmed is whether the element honours the gNMI Commit
	// extension.
	CommitConfirmed bool
	LastError       string
	// LastCommit is the id of the last commit applied on the element.
	LastCommit uint64
	// LastChange is when Connected or InSync last changed.
	LastChange time.Time
}

// Status returns the status of an element of the inventory.
func (m *Manager) Status(name string) (Status, bool) {
	m.mu.Lock()
	e := m.elements[name]
	m.mu.Unlock()
	if e == nil {
		return Status{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status, true
}

// Elements returns the names of the elements in the inventory, sorted.
func (m *Manager) Elements() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.elements))
	for n := range m.elements {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// waitStarted waits until Start has run: the store may push (a confirmed
// commit's rollback) before it.
func (m *Manager) waitStarted(ctx context.Context) error {
	select {
	case <-m.started:
		return nil
	case <-m.ctx.Done():
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// elementFor returns an element a commit touches, waiting a little for an
// element the inventory has just received: the store knows of it as soon
// as its commit is decided, the Manager once the commit is published.
func (m *Manager) elementFor(ctx context.Context, name string) (*element, error) {
	timer := time.NewTimer(m.opts.inventoryWait)
	defer timer.Stop()
	for {
		m.mu.Lock()
		e, changed, closed := m.elements[name], m.inventory, m.closed
		m.mu.Unlock()
		switch {
		case closed:
			return nil, ErrClosed
		case e != nil:
			return e, nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return nil, &ElementError{Element: name, Op: "find it in the inventory", Kind: ErrUnreachable,
				Err: fmt.Errorf("%w: the southbound has not seen it in the inventory after %v", ErrNotManaged, m.opts.inventoryWait)}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-m.ctx.Done():
			return nil, ErrClosed
		}
	}
}
