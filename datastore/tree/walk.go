package tree

import (
	"reflect"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// LeafFunc is called for each leaf or leaf-list holding a value. path is
// freshly allocated for each call and may be kept.
type LeafFunc func(path []*gpb.PathElem, f *Field, v reflect.Value)

// Leaves calls fn for every leaf and leaf-list that holds a value in the
// subtree of the struct v (a pointer, described by st) whose path is
// prefix. Lists are visited in key order.
func (s *Schema) Leaves(st *Struct, v reflect.Value, prefix []*gpb.PathElem, fn LeafFunc) {
	if !v.IsValid() || v.IsNil() {
		return
	}
	sv := v.Elem()
	for _, f := range st.Fields {
		fv := sv.Field(f.Index)
		switch f.Kind {
		case Leaf, LeafList:
			if Present(fv) {
				fn(appendElem(prefix, &gpb.PathElem{Name: f.Name}), f, fv)
			}
		case Container:
			if !fv.IsNil() {
				s.Leaves(f.Struct, fv, appendElem(prefix, &gpb.PathElem{Name: f.Name}), fn)
			}
		case List:
			if fv.Len() == 0 {
				continue
			}
			for _, k := range SortedKeys(f, fv) {
				s.Leaves(f.Struct, fv.MapIndex(k), appendElem(prefix, &gpb.PathElem{Name: f.Name, Key: KeyMap(f, k)}), fn)
			}
		case UnkeyedList:
			// Entries of an unkeyed list cannot be addressed by a gNMI
			// path; they are reported as the JSON of the whole list.
			if fv.Len() > 0 {
				fn(appendElem(prefix, &gpb.PathElem{Name: f.Name}), f, fv)
			}
		}
	}
}

// NodeLeaves calls fn for every leaf under node n, or for n itself when it
// is a leaf that holds a value.
func (s *Schema) NodeLeaves(n Node, fn LeafFunc) {
	v := n.Value()
	if !v.IsValid() {
		return
	}
	switch {
	case n.IsRoot():
		s.Leaves(s.Root, v, nil, fn)
	case n.IsEntry() || n.Field.Kind == Container:
		s.Leaves(n.Field.Struct, v, n.Path, fn)
	case n.Field.Kind == List:
		parent := n.Path[:len(n.Path)-1]
		for _, k := range SortedKeys(n.Field, v) {
			s.Leaves(n.Field.Struct, v.MapIndex(k), appendElem(parent, &gpb.PathElem{Name: n.Field.Name, Key: KeyMap(n.Field, k)}), fn)
		}
	default:
		if Present(v) {
			fn(appendElem(n.Path[:len(n.Path)-1], n.Path[len(n.Path)-1]), n.Field, v)
		}
	}
}

// Present reports whether a leaf's Go field holds a value: a non-nil
// pointer, union or slice, a set enum, a true empty leaf.
func Present(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() > 0
	case reflect.Invalid:
		return false
	}
	return !v.IsZero()
}

// appendElem returns a new slice: prefix followed by e.
func appendElem(prefix []*gpb.PathElem, e *gpb.PathElem) []*gpb.PathElem {
	p := make([]*gpb.PathElem, len(prefix)+1)
	copy(p, prefix)
	p[len(prefix)] = e
	return p
}
