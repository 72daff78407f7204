package clients

import (
	"context"
	"errors"
	"fmt"
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
// nwmo, where gNMI clients Get and Subscribe to it, together with the
// element's alarms (alarms.go). Only the leaves that changed since the
// last publication are sent.

// connected records a new connection.
func (e *element) connected(a Adapter) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.adapter = a
	e.attempts++
	e.lastErr = nil
	e.status.CommitConfirmed = a.CommitConfirmed()
	e.status.LastError = ""
	e.clearLocked(UnreachableAlarm)
	e.setConnectedLocked(true)
	e.signalLocked()
	e.m.log.Info("element connected", "element", e.name, "address", e.cfg.target.Address, "commit-confirmed", e.status.CommitConfirmed)
}

// connectFailed records a failed connection attempt to addr.
func (e *element) connectFailed(addr string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.attempts++
	e.lastErr = err
	e.status.LastError = err.Error()
	e.unreachableLocked(addr, err)
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
		e.unreachableLocked(e.cfg.target.Address, err)
	}
	e.clearLocked(OutOfSyncAlarm)
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

// setSync records the outcome of a comparison with running; pushErr is
// why running could not be pushed to the element, when that was tried.
// Out of sync with no drift counted says the element could not be read:
// what was known of it stays.
func (e *element) setSync(inSync bool, drift int, pushErr error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if inSync != e.status.InSync {
		e.status.LastChange = time.Now()
		if !inSync {
			e.m.log.Warn("element drifted from running", "element", e.name, "differing-paths", drift)
		}
	}
	e.status.InSync, e.status.DriftCount = inSync, drift
	switch {
	case inSync:
		e.resync = false
		e.clearLocked(OutOfSyncAlarm)
	case drift > 0 && pushErr != nil:
		e.outOfSyncLocked(fmt.Sprintf("differs from running in %s, and pushing running failed: %s", paths(drift), describe(pushErr)))
	case drift > 0:
		e.outOfSyncLocked("differs from running in " + paths(drift))
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
	e.outOfSyncLocked("may hold a change running does not: " + describe(err))
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
		sent := make(map[*element]publication, len(batch))
		for e := range batch {
			e.mu.Lock()
			var p publication
			if e.removed {
				n.Delete = append(n.Delete, &gpb.Path{Elem: targetPath(e.name)})
			} else {
				p.leaves = e.changedLocked(n)
			}
			p.alarms = e.alarmChangesLocked(n)
			sent[e] = p
			e.mu.Unlock()
		}
		if len(n.Update)+len(n.Delete) == 0 {
			continue
		}
		if err := m.store.UpdateState(n); err != nil {
			if errors.Is(err, datastore.ErrClosed) {
				continue
			}
			// What was not published is published again (a cleared alarm
			// must not stay raised), after a pause.
			m.log.Warn("publishing element state; retrying", "elements", len(sent), "err", err)
			m.pub.mu.Lock()
			for e := range sent {
				m.pub.dirty[e] = struct{}{}
			}
			m.pub.mu.Unlock()
			select {
			case <-m.ctx.Done():
				return
			case <-time.After(publishRetry):
			}
			select {
			case m.pub.wake <- struct{}{}:
			default:
			}
			continue
		}
		for e, p := range sent {
			e.mu.Lock()
			e.markPublishedLocked(p)
			e.mu.Unlock()
		}
	}
}

// publishRetry is the pause before publishing again what nwmo's state
// refused.
const publishRetry = time.Second

// publication is what one notification published of an element: the
// state leaves it updated, by name, and the alarms as it left them, by
// type.
type publication struct {
	leaves map[string]*gpb.TypedValue
	alarms map[string]datastore.Alarm
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

func (e *element) markPublishedLocked(p publication) {
	if e.published == nil {
		e.published = map[string]*gpb.TypedValue{}
	}
	for k, v := range p.leaves {
		e.published[k] = v
	}
	e.publishedAlarms = p.alarms
}

// formatID is how a commit id is named on the elements.
func formatID(id uint64) string { return "nwmo-" + strconv.FormatUint(id, 10) }
