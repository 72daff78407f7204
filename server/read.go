package server

import (
	"reflect"

	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/tree"
)

// A read (Get, a subscription's snapshot) sees a target as one tree: its
// configuration, running or a candidate's view, overlaid with its
// operational state, which the datastore keeps apart (what the element
// reports, and for nwmo what nwmod knows of its elements); for nwmo, the
// commit history and open candidates are built in too. A candidate's view
// has no state of its own: it shows configuration only.

// view calls fn with the tree a read of t sees, under the datastore's read
// locks; want says which of nwmo's built parts the read needs. fn must
// neither keep nor modify root.
func (s *Server) view(t target, want ownParts, fn func(root ygot.GoStruct, sc *tree.Schema) error) error {
	var built *ownBuilt
	if t.own() {
		b := s.ownState(want)
		built = &b
	}
	return s.store.View(t.name, func(cfg ygot.GoStruct, sc *tree.Schema) error {
		if t.candidate != "" {
			return fn(cfg, sc)
		}
		return s.store.ViewState(t.name, func(state ygot.GoStruct, _ *tree.Schema) error {
			root := cfg
			if !empty(state) {
				root = overlay(sc.Root, reflect.ValueOf(cfg), reflect.ValueOf(state)).Interface().(ygot.GoStruct)
			}
			if built != nil {
				root = ownRoot(root, built)
			}
			return fn(root, sc)
		})
	})
}

// empty reports whether a root holds no data at all.
func empty(root ygot.GoStruct) bool {
	v := reflect.ValueOf(root).Elem()
	for i := range v.NumField() {
		if !v.Field(i).IsZero() {
			return false
		}
	}
	return true
}

// overlay returns a tree holding the data of both a and b, pointers to
// structs that st describes (either may be nil). A subtree only one side
// has is shared, not copied; where both have one, a new struct holds the
// union, so the result costs what the two trees have in common. A leaf
// both hold keeps a's value (configuration and state never share a leaf).
func overlay(st *tree.Struct, a, b reflect.Value) reflect.Value {
	switch {
	case !a.IsValid() || a.IsNil():
		return b
	case !b.IsValid() || b.IsNil():
		return a
	}
	out := reflect.New(st.Type)
	for _, f := range st.Fields {
		av, bv := a.Elem().Field(f.Index), b.Elem().Field(f.Index)
		dst := out.Elem().Field(f.Index)
		switch f.Kind {
		case tree.Container:
			if v := overlay(f.Struct, av, bv); v.IsValid() {
				dst.Set(v)
			}
		case tree.List:
			switch {
			case bv.Len() == 0:
				dst.Set(av)
			case av.Len() == 0:
				dst.Set(bv)
			default:
				m := reflect.MakeMapWithSize(av.Type(), av.Len())
				for it := av.MapRange(); it.Next(); {
					m.SetMapIndex(it.Key(), it.Value())
				}
				for it := bv.MapRange(); it.Next(); {
					if ae := av.MapIndex(it.Key()); ae.IsValid() {
						m.SetMapIndex(it.Key(), overlay(f.Struct, ae, it.Value()))
					} else {
						m.SetMapIndex(it.Key(), it.Value())
					}
				}
				dst.Set(m)
			}
		default:
			if tree.Present(av) {
				dst.Set(av)
			} else {
				dst.Set(bv)
			}
		}
	}
	return out
}
