package clients

import (
	"errors"
	"reflect"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

// onNotification takes one notification the element streamed: its state
// goes into the element's state tree in the datastore, where Get and
// Subscribe on the element's target find it next to running; its
// configuration, when it differs from running, asks for a comparison.
func (e *element) onNotification(n *gpb.Notification) {
	if o := n.GetPrefix().GetOrigin(); o != "" && o != "openconfig" {
		return
	}
	sc := e.m.schema
	prefix := n.GetPrefix().GetElem()
	state := &gpb.Notification{Timestamp: n.GetTimestamp(), Prefix: &gpb.Path{Target: e.name}}
	var config []*gpb.Update
	var configGone [][]*gpb.PathElem
	for _, u := range n.GetUpdate() {
		p := joinPath(prefix, u.GetPath().GetElem())
		f := sc.FieldAt(p)
		switch {
		case f == nil:
		case f.Kind == tree.Leaf || f.Kind == tree.LeafList:
			if f.Config {
				config = append(config, &gpb.Update{Path: &gpb.Path{Elem: p}, Val: u.GetVal()})
			} else {
				state.Update = append(state.Update, &gpb.Update{Path: &gpb.Path{Elem: p}, Val: u.GetVal()})
			}
		default:
			// A subtree as JSON: it may hold both.
			config = append(config, &gpb.Update{Path: &gpb.Path{Elem: p}, Val: u.GetVal()})
			if !f.Config || len(p) == 0 {
				state.Update = append(state.Update, &gpb.Update{Path: &gpb.Path{Elem: p}, Val: u.GetVal()})
			}
		}
	}
	for _, d := range n.GetDelete() {
		p := joinPath(prefix, d.GetElem())
		f := sc.FieldAt(p)
		if len(p) > 0 && f == nil {
			continue
		}
		if len(p) == 0 || f.Config {
			configGone = append(configGone, p)
		}
		if len(p) == 0 || !f.Config || f.Kind != tree.Leaf && f.Kind != tree.LeafList {
			state.Delete = append(state.Delete, &gpb.Path{Elem: p})
		}
	}
	if e.m.opts.telemetry && len(state.Update)+len(state.Delete) > 0 {
		if err := e.m.store.UpdateState(state); err != nil && !errors.Is(err, datastore.ErrClosed) {
			e.m.log.Debug("collecting element state", "element", e.name, "err", err)
		}
	}
	if len(config)+len(configGone) > 0 && e.differs(config, configGone) {
		e.requestCheck()
	}
}

// differs reports whether configuration the element reported may differ
// from running, or the element is out of sync already (the change may have
// ended it): then it must be compared.
func (e *element) differs(updates []*gpb.Update, gone [][]*gpb.PathElem) bool {
	e.mu.Lock()
	inSync := e.status.InSync
	e.mu.Unlock()
	if !inSync {
		return true
	}
	differ := false
	err := e.m.store.View(e.name, func(root ygot.GoStruct, sc *tree.Schema) error {
		for _, u := range updates {
			n, ok, _, err := sc.Resolve(root, u.GetPath().GetElem(), false)
			if err != nil || !ok || n.IsRoot() || n.IsEntry() || n.Field.Kind != tree.Leaf && n.Field.Kind != tree.LeafList {
				differ = true
				return nil
			}
			if !sameValue(n.Field, n.Value(), u.GetVal()) {
				differ = true
				return nil
			}
		}
		for _, p := range gone {
			n, ok, _, err := sc.Resolve(root, p, false)
			if err != nil || ok && n.Exists() {
				differ = true
				return nil
			}
		}
		return nil
	})
	return differ || err != nil
}

// sameValue reports whether a running leaf holds the value an element
// reported, compared in canonical form.
func sameValue(f *tree.Field, v reflect.Value, reported *gpb.TypedValue) bool {
	have, err := f.TypedValue(v)
	if err != nil {
		return false
	}
	rv, err := f.FromTypedValue(reported)
	if err != nil {
		return false
	}
	got, err := f.TypedValue(rv)
	if err != nil {
		return false
	}
	return proto.Equal(have, got)
}
