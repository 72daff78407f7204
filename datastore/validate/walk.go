package validate

import (
	"reflect"

	"github.com/nwmo/nwmo/datastore/tree"
)

// visitor is called by walk; unset functions are not called.
type visitor struct {
	// leaf is called for every leaf and leaf-list holding a value, and for
	// every non-empty unkeyed list (whose entries have no path), with the
	// path of the struct holding it: most leaves need no path of their
	// own, and building one per leaf is most of the cost of a walk.
	leaf func(at *dpath, f *tree.Field, v reflect.Value)
	// entry is called for every entry of a keyed list, before its fields.
	entry func(p *dpath, v reflect.Value)
	// container is called for every container (and the root), before its
	// fields; list is called for every non-empty keyed list, with the path
	// of the entry holding it.
	container func(p *dpath, st *tree.Struct, v reflect.Value)
	list      func(at *dpath, f *tree.Field, m reflect.Value)
}

// walk visits the subtree of the struct v (a pointer, described by st)
// whose path is p. Lists are visited in map order: what a walk finds is
// sorted afterwards.
func walk(st *tree.Struct, v reflect.Value, p *dpath, vis *visitor) {
	if !v.IsValid() || v.IsNil() {
		return
	}
	sv := v.Elem()
	for _, f := range st.Fields {
		fv := sv.Field(f.Index)
		switch f.Kind {
		case tree.Leaf, tree.LeafList, tree.UnkeyedList:
			if tree.Present(fv) && vis.leaf != nil {
				vis.leaf(p, f, fv)
			}
		case tree.Container:
			if fv.IsNil() {
				continue
			}
			cp := p.child(f, reflect.Value{}, nil)
			if vis.container != nil {
				vis.container(cp, f.Struct, fv)
			}
			walk(f.Struct, fv, cp, vis)
		case tree.List:
			if fv.Len() == 0 {
				continue
			}
			if vis.list != nil {
				vis.list(p, f, fv)
			}
			for it := fv.MapRange(); it.Next(); {
				k, ev := it.Key(), it.Value()
				ep := p.child(f, k, tree.KeyMap(f, k))
				if vis.entry != nil {
					vis.entry(ep, ev)
				}
				walk(f.Struct, ev, ep, vis)
			}
		}
	}
}
