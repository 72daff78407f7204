package clients

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore"
)

// This file keeps each element's Status and publishes it, with the
// inventory settings in use, under /targets/target[name]/state on target
// nwmo, where gNMI clients Get and Subscribe to it. Only the leaves that
// changed since the last publication are sent.

// connected records a new connection.
func (e *element) connected(a Adapter) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.adapter = a
	e.attempts++
	e.lastErr = nil
	e.status.CommitConfirmed = a.CommitConfirmed()
	e.status.LastError = ""
	e.setConnectedLocked(true)
	e.signalLocked()
	e.m.log.Info("element connected", "element", e.name, "address", e.cfg.target.Address, "commit-confirmed", e.status.CommitConfirmed)
}

// connectFailed records a failed connection attempt.
func (e *element) connectFailed(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.attempts++
	e.lastErr = err
	e.status.LastError = err.Error()
	e.signalLocked()
	e.publishLocked()
	e.m.log.Debug("connecting to element", "element", e.name, "err", err)
}

// disconnected records the end of a connection, and drops the state
// collected from the element: it is the element's to report again.
func (e *element) disconnected(err error) {
	e.mu.Lock()
	e.adapter = nil
	if err != nil && !errors.Is(err, context.Canceled) {
		e.status.LastError = err.Error()
	}
	e.setConnectedLocked(false)
	e.signalLocked()
	e.mu.Unlock()
	if !errors.Is(err, context.Canceled) {
		e.m.log.Warn("element disconnected", "element", e.name, "err", err)
	}
	if err := e.m.store.ClearState(e.name); err != nil && !errors.Is(err, datastore.ErrClosed) {
		e.m.log.Debug("clearing the state of a disconnected element", "element", e.name, "err", err)
	}
}

// setSync records the outcome of a comparison with running.
func (e *element) setSync(inSync bool, drift int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if inSync != e.status.InSync {
		e.status.LastChange = time.Now()
		if !inSync {
			e.m.log.Warn("element drifted from running", "element", e.name, "differing-paths", drift)
		}
	}
	e.status.InSync, e.status.DriftCount = inSync, drift
	if inSync {
		e.resync = false
	}
	e.publishLocked()
}

// setError records an error talking to the element.
func (e *element) setError(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status.LastError = err.Error()
	e.publishLocked()
}

// refreshCommitConfirmed records whether the element has confirmed
// commits, which an adapter may learn only when it tries one.
func (e *element) refreshCommitConfirmed(a Adapter) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status.CommitConfirmed = a.CommitConfirmed()
	e.publishLocked()
}

// setLastCommit records a commit applied on the element.
func (e *element) setLastCommit(id uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status.LastCommit = id
	e.publishLocked()
}

// needResync records that the element may hold a change running does not.
func (e *element) needResync(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.resync = true
	e.status.InSync = false
	e.status.LastChange = time.Now()
	e.status.LastError = err.Error()
	e.publishLocked()
	select {
	case e.check <- struct{}{}:
	default:
	}
}

func (e *element) setConnectedLocked(c bool) {
	if c != e.status.Connected {
		e.status.Connected = c
		e.status.LastChange = time.Now()
	}
	e.publishLocked()
}

func (e *element) signalLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// publishLocked has the element's status published. The caller holds
// e.mu. Publication is done by one goroutine for every element (publish),
// in batches, so that a commit over thousands of elements updates nwmo's
// state once and never waits for it.
func (e *element) publishLocked() {
	e.m.pub.mu.Lock()
	e.m.pub.dirty[e] = struct{}{}
	e.m.pub.mu.Unlock()
	select {
	case e.m.pub.wake <- struct{}{}:
	default:
	}
}

// publisher is the queue of elements whose status changed since it was
// last published; an element is in it once however often it changed.
type publisher struct {
	mu    sync.Mutex
	dirty map[*element]struct{}
	wake  chan struct{}
}

// publish writes, until Close, what changed in the status of the elements
// queued into nwmo's state, in one update per batch.
func (m *Manager) publish() {
	defer m.wg.Done()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-m.pub.wake:
		}
		m.pub.mu.Lock()
		batch := m.pub.dirty
		m.pub.dirty = map[*element]struct{}{}
		m.pub.mu.Unlock()

		n := &gpb.Notification{Timestamp: time.Now().UnixNano(), Prefix: &gpb.Path{Target: datastore.ServerTarget}}
		sent := make(map[*element]map[string]*gpb.TypedValue, len(batch))
		for e := range batch {
			e.mu.Lock()
			if e.removed {
				n.Delete = append(n.Delete, &gpb.Path{Elem: targetPath(e.name)})
			} else {
				sent[e] = e.changedLocked(n)
			}
			e.mu.Unlock()
		}
		if len(n.Update)+len(n.Delete) == 0 {
			continue
		}
		if err := m.store.UpdateState(n); err != nil {
			if !errors.Is(err, datastore.ErrClosed) {
				m.log.Debug("publishing element state", "elements", len(sent), "err", err)
			}
			continue
		}
		for e, s := range sent {
			e.mu.Lock()
			e.markPublishedLocked(s)
			e.mu.Unlock()
		}
	}
}

// changedLocked appends to n the updates of the leaves of the element's
// state entry that differ from what was last published, and returns them
// by leaf name.
func (e *element) changedLocked(n *gpb.Notification) map[string]*gpb.TypedValue {
	s, c := e.status, e.cfg
	str := func(v string) *gpb.TypedValue { return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: v}} }
	boolean := func(v bool) *gpb.TypedValue { return &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: v}} }
	uint := func(v uint64) *gpb.TypedValue { return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: v}} }
	leaves := map[string]*gpb.TypedValue{
		"name":                       str(e.name),
		"adapter":                    str(c.adapter),
		"tls":                        boolean(c.target.TLS),
		"tls-insecure-skip-verify":   boolean(c.target.InsecureSkipVerify),
		"initial-sync":               str(c.initialSync),
		"drift":                      str(c.drift),
		"on-remove":                  str(c.onRemove),
		"timeout":                    uint(uint64(c.target.Timeout / time.Millisecond)),
		"connected":                  boolean(s.Connected),
		"in-sync":                    boolean(s.InSync),
		"drift-count":                uint(uint64(s.DriftCount)),
		"commit-confirmed-supported": boolean(s.CommitConfirmed),
		"last-error":                 str(s.LastError),
		"last-commit":                uint(s.LastCommit),
	}
	// The password stays out of state, which more people may read.
	if c.target.Address != "" {
		leaves["address"] = str(c.target.Address)
	}
	if c.target.Username != "" {
		leaves["username"] = str(c.target.Username)
	}
	if !s.LastChange.IsZero() {
		leaves["last-change"] = uint(uint64(s.LastChange.UnixNano()))
	}
	names := make([]string, 0, len(leaves))
	for name, v := range leaves {
		if !proto.Equal(e.published[name], v) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	sent := make(map[string]*gpb.TypedValue, len(names))
	state := append(targetPath(e.name), &gpb.PathElem{Name: "state"})
	for _, name := range names {
		sent[name] = leaves[name]
		n.Update = append(n.Update, &gpb.Update{Path: &gpb.Path{Elem: append(state[:len(state):len(state)], &gpb.PathElem{Name: name})}, Val: leaves[name]})
	}
	return sent
}

func (e *element) markPublishedLocked(sent map[string]*gpb.TypedValue) {
	if e.published == nil {
		e.published = map[string]*gpb.TypedValue{}
	}
	for k, v := range sent {
		e.published[k] = v
	}
}

// formatID is how a commit id is named on the elements.
func formatID(id uint64) string { return "nwmo-" + strconv.FormatUint(id, 10) }
