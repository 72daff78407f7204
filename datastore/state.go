package datastore

import (
	"fmt"
	"sync"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/tree"
)

// stateTree is the operational state of a target: what its element
// reports (oper-status, counters, the state mirrors of its config), and
// for nwmo what nwmod itself knows (connections, sync). It lives in memory
// only: it is the element's to report again after a restart.
type stateTree struct {
	mu   sync.RWMutex
	root ygot.GoStruct
}

// UpdateState merges a notification into a target's state: its updates
// (scalar TypedValues or JSON) are applied, its deletes removed. Only
// state (config false) nodes may be set this way. Subscribers see the
// change on the state feed; nothing is written to disk.
func (s *Store) UpdateState(n *gpb.Notification) error {
	name := n.GetPrefix().GetTarget()
	element, cand := splitTarget(name)
	if cand != "" {
		return fmt.Errorf("%w: a candidate has no state; %q names one", ErrInvalid, name)
	}
	st, model, err := s.stateOf(element)
	if err != nil {
		return err
	}
	prefix := n.GetPrefix().GetElem()
	var ops []tree.Op
	for _, d := range n.GetDelete() {
		ops = append(ops, tree.Op{Kind: tree.Delete, Path: joinPath(prefix, d.GetElem())})
	}
	for _, u := range n.GetUpdate() {
		ops = append(ops, tree.Op{Kind: tree.Update, Path: joinPath(prefix, u.GetPath().GetElem()), Value: u.GetVal()})
	}
	st.mu.Lock()
	edit := model.Schema.NewEdit(st.root)
	for _, op := range ops {
		if err := edit.Apply(op); err != nil {
			edit.Undo()
			st.mu.Unlock()
			return targetErr(element, op, err)
		}
	}
	changes := edit.Changes()
	for _, c := range changes {
		// Keys come and go with the list entries state creates or deletes.
		if c.Field.Config && !(c.Field.Key && (!c.Old.IsValid() || !c.New.IsValid())) {
			edit.Undo()
			st.mu.Unlock()
			return fmt.Errorf("%w: target %s: %s is configuration; state updates may set state (config false) nodes only",
				ErrInvalid, element, tree.FormatPath(c.Path))
		}
	}
	st.mu.Unlock()
	if len(changes) == 0 {
		return nil
	}
	ts := n.GetTimestamp()
	if ts == 0 {
		ts = s.opts.Now().UnixNano()
	}
	tc, err := toTargetChange(element, ts, changes)
	if err != nil {
		return err
	}
	s.stateFeed.publish(&Event{Header: Header{Time: ts, Targets: []string{element}}, Changes: []TargetChange{tc}})
	return nil
}

func joinPath(prefix, p []*gpb.PathElem) []*gpb.PathElem {
	if len(prefix) == 0 {
		return p
	}
	return append(append(make([]*gpb.PathElem, 0, len(prefix)+len(p)), prefix...), p...)
}

// stateOf returns a target's state tree, creating it.
func (s *Store) stateOf(name string) (*stateTree, *Model, error) {
	if _, err := s.lookup(name); err != nil {
		return nil, nil, err
	}
	model := s.device
	if name == ServerTarget {
		model = s.own
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.states[name]
	if !ok {
		st = &stateTree{root: model.Schema.New()}
		s.states[name] = st
	}
	return st, model, nil
}

// ViewState calls fn with a target's state tree under its read lock; fn
// must neither keep nor modify root.
func (s *Store) ViewState(name string, fn func(root ygot.GoStruct, sc *tree.Schema) error) error {
	element, _ := splitTarget(name)
	st, model, err := s.stateOf(element)
	if err != nil {
		return err
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	return fn(st.root, model.Schema)
}

// ClearState drops everything a target's state holds, e.g. when its
// element disconnects; subscribers see the deletes.
func (s *Store) ClearState(name string) error {
	return s.UpdateState(&gpb.Notification{Prefix: &gpb.Path{Target: name}, Delete: []*gpb.Path{{}}})
}

// WatchState returns a watcher of state changes: each Event carries one
// target's changed state leaves (ID 0: state changes are not commits).
func (s *Store) WatchState() *Watcher { return s.stateFeed.watch() }
