package server

import (
	"reflect"
	"sync"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore/tree"
)

// selection is what part of a target's data a request wants: a data type
// (Get's type) and a set of models (use_models).
type selection struct {
	kind gpb.GetRequest_DataType
	// tops are the names of the root's children the models allow; nil
	// allows every one.
	tops map[string]bool
}

// newSelection checks a data type and a use_models list against the
// target's schema. use_models keeps the top-level nodes those modules
// define (with what other modules augment into them); a model nwmo does
// not serve is InvalidArgument.
func newSelection(sc *tree.Schema, kind gpb.GetRequest_DataType, use []*gpb.ModelData) (selection, error) {
	sel := selection{kind: kind}
	if _, ok := gpb.GetRequest_DataType_name[int32(kind)]; !ok {
		return sel, badRequest("data type %d is not one of ALL, CONFIG, STATE, OPERATIONAL", kind)
	}
	if len(use) == 0 {
		return sel, nil
	}
	sel.tops = map[string]bool{}
	for _, m := range use {
		if !servedModel(m.GetName()) {
			return sel, badRequest("use_models: model %q is not served; Capabilities lists the models", m.GetName())
		}
		for _, f := range sc.Root.Fields {
			if f.Module == m.GetName() {
				sel.tops[f.Name] = true
			}
		}
	}
	return sel, nil
}

// servedModel reports whether Capabilities lists a model of that name.
func servedModel(name string) bool {
	for _, m := range models {
		if m.GetName() == name {
			return true
		}
	}
	return false
}

// all reports whether the selection keeps everything.
func (sel selection) all() bool { return sel.kind == gpb.GetRequest_ALL && sel.tops == nil }

// keepPath reports whether the models allow the data at path.
func (sel selection) keepPath(path []*gpb.PathElem) bool {
	return sel.tops == nil || len(path) == 0 || sel.tops[path[0].GetName()]
}

// keepLeaf reports whether the data type takes a leaf:
//   - CONFIG: config true leaves;
//   - STATE: config false leaves (applied config and operational state);
//   - OPERATIONAL: config false leaves with no config counterpart, so
//     state/oper-status and counters but not state/mtu, which only
//     reflects config/mtu;
//   - ALL (type unset): everything.
func (sel selection) keepLeaf(f *tree.Field) bool {
	switch sel.kind {
	case gpb.GetRequest_CONFIG:
		return f.Config
	case gpb.GetRequest_STATE:
		return !f.Config
	case gpb.GetRequest_OPERATIONAL:
		return !f.Config && !hasConfigCounterpart(f)
	}
	return true
}

var counterparts sync.Map // *tree.Field -> bool

// hasConfigCounterpart reports whether a state leaf mirrors a config leaf:
// OpenConfig puts them in sibling containers state and config under one
// parent, with the same name (…/state/mtu and …/config/mtu).
func hasConfigCounterpart(f *tree.Field) bool {
	if v, ok := counterparts.Load(f); ok {
		return v.(bool)
	}
	found := false
	if e := f.Entry; e != nil && e.Parent != nil && e.Parent.Parent != nil {
		if cfg := e.Parent.Parent.Dir["config"]; cfg != nil && cfg != e.Parent {
			found = cfg.Dir[f.Name] != nil
		}
	}
	counterparts.Store(f, found)
	return found
}

// pruned returns a copy of the struct v (a pointer, described by st)
// holding only the data sel keeps, or the zero Value when that is nothing.
// top tells whether st is the root, where the models filter applies. List
// entries keep their key leaves whatever the data type, since an entry
// cannot be written without them. Leaf values are shared with v, not
// copied: the copy lives only while v's read lock is held.
func (sel selection) pruned(st *tree.Struct, v reflect.Value, top bool) reflect.Value {
	if !v.IsValid() || v.IsNil() {
		return reflect.Value{}
	}
	out := reflect.New(st.Type)
	kept := false
	for _, f := range st.Fields {
		if top && sel.tops != nil && !sel.tops[f.Name] {
			continue
		}
		fv := v.Elem().Field(f.Index)
		dst := out.Elem().Field(f.Index)
		switch f.Kind {
		case tree.Leaf, tree.LeafList, tree.UnkeyedList:
			if tree.Present(fv) && sel.keepLeaf(f) {
				dst.Set(fv)
				kept = true
			}
		case tree.Container:
			if c := sel.pruned(f.Struct, fv, false); c.IsValid() {
				dst.Set(c)
				kept = true
			}
		case tree.List:
			if m := sel.prunedList(f, fv); m.IsValid() {
				dst.Set(m)
				kept = true
			}
		}
	}
	if !kept {
		return reflect.Value{}
	}
	return out
}

// prunedList is pruned for the map of list f.
func (sel selection) prunedList(f *tree.Field, m reflect.Value) reflect.Value {
	if m.Len() == 0 {
		return reflect.Value{}
	}
	out := reflect.MakeMapWithSize(m.Type(), m.Len())
	for it := m.MapRange(); it.Next(); {
		if e := sel.prunedEntry(f, it.Value()); e.IsValid() {
			out.SetMapIndex(it.Key(), e)
		}
	}
	if out.Len() == 0 {
		return reflect.Value{}
	}
	return out
}

// prunedEntry is pruned for one entry of list f, with its keys.
func (sel selection) prunedEntry(f *tree.Field, entry reflect.Value) reflect.Value {
	e := sel.pruned(f.Struct, entry, false)
	if e.IsValid() {
		for _, kf := range f.Struct.Keys {
			e.Elem().Field(kf.Index).Set(entry.Elem().Field(kf.Index))
		}
	}
	return e
}
