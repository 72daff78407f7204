package tree

import (
	"bytes"
	"fmt"
	"reflect"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
)

// OpKind is the kind of a gNMI Set operation.
type OpKind uint8

// The operations of a gNMI SetRequest, in the order they are applied.
const (
	Delete OpKind = iota
	Replace
	Update
)

func (k OpKind) String() string { return [...]string{"delete", "replace", "update"}[k] }

// Op is one Set operation on a tree: a path from the root (prefix already
// joined) and, but for Delete, a value.
type Op struct {
	Kind  OpKind
	Path  []*gpb.PathElem
	Value *gpb.TypedValue
}

// LeafChange is the net effect of an edit on one leaf or leaf-list: its
// value before and after. A zero Value means absent.
type LeafChange struct {
	Path     []*gpb.PathElem
	Field    *Field
	Old, New reflect.Value
}

// Edit applies operations to a tree in place, keeping what is needed to
// undo them and the net change of every leaf. Its cost grows with the size
// of the operations, not of the tree: a replaced subtree is swapped in
// whole and the old one kept for undo, never copied.
type Edit struct {
	s       *Schema
	root    ygot.GoStruct
	undo    []func()
	changes []LeafChange
	ops     int // operations applied; with more than one a leaf may repeat
}

// NewEdit starts an edit of root.
func (s *Schema) NewEdit(root ygot.GoStruct) *Edit {
	return &Edit{s: s, root: root}
}

// Undo reverts every operation applied so far, newest first.
func (e *Edit) Undo() {
	for i := len(e.undo) - 1; i >= 0; i-- {
		e.undo[i]()
	}
	e.undo, e.changes, e.ops = nil, nil, 0
}

// Changes are the net leaf changes of the edit, in the order leaves were
// first touched; leaves set back to what they were are left out.
func (e *Edit) Changes() []LeafChange {
	changes := e.changes
	if e.ops > 1 {
		changes = coalesce(changes)
	}
	out := make([]LeafChange, 0, len(changes))
	for _, c := range changes {
		if !leafEqual(c.Old, c.New) {
			out = append(out, c)
		}
	}
	return out
}

// coalesce merges the changes of a leaf that several operations touched:
// its first old value and its last new one. One operation touches a leaf
// once, so a single-operation edit needs none of this.
func coalesce(changes []LeafChange) []LeafChange {
	index := make(map[string]int, len(changes))
	out := make([]LeafChange, 0, len(changes))
	for _, c := range changes {
		k := FormatPath(c.Path)
		if i, ok := index[k]; ok {
			out[i].New = c.New
			continue
		}
		index[k] = len(out)
		out = append(out, c)
	}
	return out
}

func (e *Edit) record(path []*gpb.PathElem, f *Field, old, new reflect.Value) {
	e.changes = append(e.changes, LeafChange{Path: path, Field: f, Old: old, New: new})
}

// Apply applies one operation. On error the tree may hold part of it: call
// Undo to throw the whole edit away.
func (e *Edit) Apply(op Op) error {
	e.ops++
	if op.Kind == Delete {
		return e.delete(op.Path)
	}
	if op.Value == nil || op.Value.Value == nil {
		return fmt.Errorf("%w: %s %s has no value", ErrBadValue, op.Kind, FormatPath(op.Path))
	}
	n, _, created, err := e.s.Resolve(e.root, op.Path, true)
	for _, c := range created {
		e.created(c)
	}
	if err != nil {
		return err
	}
	if !n.IsRoot() && !n.IsEntry() && (n.Field.Kind == Leaf || n.Field.Kind == LeafList) {
		return e.setLeaf(n, op.Value)
	}
	fresh, err := e.decode(n, op.Value)
	if err != nil {
		return err
	}
	if n.IsEntry() {
		if op.Kind == Replace && onlyKeys(n.Field.Struct, fresh) {
			return fmt.Errorf("%w: replacing list entry %s with an empty value; delete it instead", ErrBadValue, FormatPath(n.Path))
		}
		FillMirrors(n.Field, fresh)
	}
	if op.Kind == Replace {
		return e.replace(n, fresh)
	}
	e.merge(n, fresh)
	return nil
}

// created records a container or list entry that an operation brought
// into being: undo removes it again, and a new entry's key leaves (and the
// config leaves mirroring them) count as set.
func (e *Edit) created(n Node) {
	e.undo = append(e.undo, func() { n.Set(reflect.Value{}) })
	if n.IsEntry() {
		v := n.Value()
		for i, kf := range n.Field.Struct.Keys {
			e.record(appendElem(n.Path, &gpb.PathElem{Name: kf.Name}), kf, reflect.Value{}, v.Elem().Field(kf.Index))
			if m := n.Field.Struct.Mirrors[i]; m != nil {
				leaf := v.Elem().Field(m.Config.Index).Elem().Field(m.Leaf.Index)
				p := append(appendElem(n.Path, &gpb.PathElem{Name: m.Config.Name}), &gpb.PathElem{Name: m.Leaf.Name})
				e.record(p, m.Leaf, reflect.Value{}, leaf)
			}
		}
	}
}

func (e *Edit) setLeaf(n Node, tv *gpb.TypedValue) error {
	if n.Field.Kind == UnkeyedList {
		return fmt.Errorf("%w: %s is an unkeyed list and cannot be set", ErrBadPath, FormatPath(n.Path))
	}
	v, err := n.Field.FromTypedValue(tv)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadValue, FormatPath(n.Path), err)
	}
	if isKeyLeaf(e.s, n) {
		if !leafEqual(n.Value(), v) {
			return fmt.Errorf("%w: %s: a list key cannot be changed; it is %v in the path", ErrBadValue, FormatPath(n.Path), n.Path[len(n.Path)-2].GetKey()[n.Field.Name])
		}
		return nil
	}
	e.setField(n, v)
	return nil
}

// isKeyLeaf reports whether n is the key leaf of the list entry holding it.
func isKeyLeaf(s *Schema, n Node) bool {
	return isKey(s.Struct(n.Parent.Type()), n.Field)
}

func (e *Edit) setField(n Node, v reflect.Value) {
	fv := n.Parent.Elem().Field(n.Field.Index)
	old := reflect.New(fv.Type()).Elem()
	old.Set(fv)
	if v.IsValid() {
		fv.Set(v)
	} else {
		fv.SetZero()
	}
	e.undo = append(e.undo, func() { fv.Set(old) })
	var oldLeaf reflect.Value
	if Present(old) {
		oldLeaf = old
	}
	e.record(n.Path, n.Field, oldLeaf, v)
}

// decode turns the JSON value of an operation on a container, list entry,
// list or the root into a new detached subtree of the node's type.
func (e *Edit) decode(n Node, tv *gpb.TypedValue) (reflect.Value, error) {
	var data []byte
	var ietf bool
	switch v := tv.Value.(type) {
	case *gpb.TypedValue_JsonIetfVal:
		data, ietf = v.JsonIetfVal, true
	case *gpb.TypedValue_JsonVal:
		data = v.JsonVal
	default:
		return reflect.Value{}, fmt.Errorf("%w: %s is a %s and needs a JSON or JSON_IETF value, not %T", ErrBadValue, FormatPath(n.Path), nodeKind(n), tv.Value)
	}
	switch {
	case n.IsRoot() || n.IsEntry() || n.Field.Kind == Container:
		st := n.Struct(e.s)
		fresh := reflect.New(st.Type)
		if err := e.s.DecodeJSON(data, st, fresh, ietf); err != nil {
			return reflect.Value{}, fmt.Errorf("%w: %s: %v", ErrBadValue, FormatPath(n.Path), err)
		}
		if n.IsEntry() {
			if err := e.checkKeys(n, fresh); err != nil {
				return reflect.Value{}, err
			}
		}
		return fresh, nil
	case n.Field.Kind == List:
		// A whole list is given as a JSON array: decode it as the member
		// of a new parent.
		parent := e.s.Struct(n.Parent.Type())
		wrapped := bytes.Join([][]byte{[]byte(`{"` + n.Field.Name + `":`), data, []byte("}")}, nil)
		fresh := reflect.New(parent.Type)
		if err := e.s.DecodeJSON(wrapped, parent, fresh, ietf); err != nil {
			return reflect.Value{}, fmt.Errorf("%w: %s: %v", ErrBadValue, FormatPath(n.Path), err)
		}
		return fresh.Elem().Field(n.Field.Index), nil
	}
	return reflect.Value{}, fmt.Errorf("%w: %s cannot be set", ErrBadPath, FormatPath(n.Path))
}

func nodeKind(n Node) string {
	switch {
	case n.IsRoot():
		return "root"
	case n.IsEntry():
		return "list entry"
	}
	return n.Field.Kind.String()
}

// checkKeys makes the key leaves of a decoded list entry agree with the
// keys in its path: absent ones are filled in, different ones are an
// error.
func (e *Edit) checkKeys(n Node, fresh reflect.Value) error {
	want := KeyLeaves(n.Field, n.Key)
	for i, kf := range n.Field.Struct.Keys {
		fv := fresh.Elem().Field(kf.Index)
		got := fv
		if got.Kind() == reflect.Pointer {
			if got.IsNil() {
				continue
			}
			got = got.Elem()
		}
		if !reflect.DeepEqual(got.Interface(), want[i].Interface()) {
			return fmt.Errorf("%w: %s: key %s is %v in the path but %v in the value", ErrBadValue, FormatPath(n.Path), kf.Name, want[i].Interface(), got.Interface())
		}
	}
	keyed := e.s.NewEntry(n.Field, n.Key)
	for _, kf := range n.Field.Struct.Keys {
		fresh.Elem().Field(kf.Index).Set(keyed.Elem().Field(kf.Index))
	}
	return nil
}

// replace swaps the node's subtree for fresh, recording every leaf that
// went away or changed. The old subtree is kept whole for undo.
func (e *Edit) replace(n Node, fresh reflect.Value) error {
	old := n.Value()
	var oldCopy reflect.Value
	if old.IsValid() {
		oldCopy = reflect.New(old.Type()).Elem()
		oldCopy.Set(old)
	}
	if n.IsRoot() {
		snapshot := reflect.New(n.Parent.Elem().Type())
		snapshot.Elem().Set(n.Parent.Elem())
		n.Parent.Elem().Set(fresh.Elem())
		e.undo = append(e.undo, func() { n.Parent.Elem().Set(snapshot.Elem()) })
		e.diffStruct(e.s.Root, snapshot, n.Parent, nil)
		return nil
	}
	n.Set(fresh)
	e.undo = append(e.undo, func() { n.Set(oldCopy) })
	switch {
	case n.IsEntry() || n.Field.Kind == Container:
		e.diffStruct(n.Field.Struct, oldCopy, fresh, n.Path)
	case n.Field.Kind == List:
		e.diffList(n.Field, oldCopy, fresh, n.Path[:len(n.Path)-1])
	}
	return nil
}

// diffStruct records the difference of two versions of a struct (either
// may be nil), leaf by leaf, walking both at once.
func (e *Edit) diffStruct(st *Struct, old, new reflect.Value, path []*gpb.PathElem) {
	oldOK := old.IsValid() && !old.IsNil()
	newOK := new.IsValid() && !new.IsNil()
	if !oldOK && !newOK {
		return
	}
	for _, f := range st.Fields {
		var ov, nv reflect.Value
		if oldOK {
			ov = old.Elem().Field(f.Index)
		}
		if newOK {
			nv = new.Elem().Field(f.Index)
		}
		switch f.Kind {
		case Leaf, LeafList, UnkeyedList:
			op, np := ov.IsValid() && Present(ov), nv.IsValid() && Present(nv)
			if (op || np) && !leafEqual(ov, nv) {
				if !op {
					ov = reflect.Value{}
				}
				if !np {
					nv = reflect.Value{}
				}
				e.record(appendElem(path, &gpb.PathElem{Name: f.Name}), f, ov, nv)
			}
		case Container:
			e.diffStruct(f.Struct, ov, nv, appendElem(path, &gpb.PathElem{Name: f.Name}))
		case List:
			e.diffList(f, ov, nv, path)
		}
	}
}

// diffList records the difference of two versions of a list's map.
func (e *Edit) diffList(f *Field, old, new reflect.Value, parent []*gpb.PathElem) {
	var keys []reflect.Value
	if old.IsValid() && old.Len() > 0 {
		keys = SortedKeys(f, old)
	}
	if new.IsValid() {
		for _, k := range SortedKeys(f, new) {
			if !old.IsValid() || !old.MapIndex(k).IsValid() {
				keys = append(keys, k)
			}
		}
	}
	for _, k := range keys {
		var ov, nv reflect.Value
		if old.IsValid() {
			ov = old.MapIndex(k)
		}
		if new.IsValid() {
			nv = new.MapIndex(k)
		}
		p := appendElem(parent, &gpb.PathElem{Name: f.Name, Key: KeyMap(f, k)})
		e.diffStruct(f.Struct, ov, nv, p)
	}
}

// merge writes every leaf of fresh into the node's subtree, creating what
// is missing.
func (e *Edit) merge(n Node, fresh reflect.Value) {
	switch {
	case n.IsRoot() || n.IsEntry() || n.Field.Kind == Container:
		live := n.Value()
		if !live.IsValid() || live.IsNil() {
			if n.IsEntry() {
				live = e.s.NewEntry(n.Field, n.Key)
			} else {
				live = reflect.New(n.Field.Struct.Type)
			}
			n.Set(live)
			e.created(n)
		}
		e.mergeStruct(n.Struct(e.s), live, fresh, n.Path)
	case n.Field.Kind == List:
		parent := n.Path[:len(n.Path)-1]
		for _, k := range SortedKeys(n.Field, fresh) {
			entry := Node{Parent: n.Parent, Field: n.Field, Key: k,
				Path: appendElem(parent, &gpb.PathElem{Name: n.Field.Name, Key: KeyMap(n.Field, k)})}
			e.merge(entry, fresh.MapIndex(k))
		}
	}
}

func (e *Edit) mergeStruct(st *Struct, live, fresh reflect.Value, path []*gpb.PathElem) {
	for _, f := range st.Fields {
		fv := fresh.Elem().Field(f.Index)
		child := Node{Parent: live, Field: f, Path: appendElem(path, &gpb.PathElem{Name: f.Name})}
		switch f.Kind {
		case Leaf, LeafList, UnkeyedList:
			if Present(fv) {
				if !leafEqual(child.Value(), fv) {
					e.setField(child, fv)
				}
			}
		case Container:
			if !fv.IsNil() {
				e.merge(child, fv)
			}
		case List:
			if fv.Len() > 0 {
				e.merge(child, fv)
			}
		}
	}
}

// onlyKeys reports whether a decoded list entry holds nothing but its keys.
func onlyKeys(st *Struct, v reflect.Value) bool {
	for _, f := range st.Fields {
		fv := v.Elem().Field(f.Index)
		if isKey(st, f) {
			continue
		}
		if f.Kind == Container && !fv.IsNil() || f.Kind != Container && Present(fv) {
			return false
		}
	}
	return true
}

func isKey(st *Struct, f *Field) bool {
	for _, k := range st.Keys {
		if k == f {
			return true
		}
	}
	return false
}

// delete removes every node the path matches (it may hold wildcards);
// deleting what does not exist is not an error.
func (e *Edit) delete(path []*gpb.PathElem) error {
	return e.s.Match(e.root, path, func(n Node) error {
		e.s.NodeLeaves(n, func(p []*gpb.PathElem, f *Field, v reflect.Value) {
			// A leaf is cleared in place below: keep a copy of its value.
			old := reflect.New(v.Type()).Elem()
			old.Set(v)
			e.record(p, f, old, reflect.Value{})
		})
		if n.IsRoot() {
			snapshot := reflect.New(n.Parent.Elem().Type())
			snapshot.Elem().Set(n.Parent.Elem())
			n.Parent.Elem().SetZero()
			e.undo = append(e.undo, func() { n.Parent.Elem().Set(snapshot.Elem()) })
			return nil
		}
		if !n.IsEntry() && isKeyLeaf(e.s, n) {
			return fmt.Errorf("%w: %s is a list key; delete the entry instead", ErrBadPath, FormatPath(n.Path))
		}
		old := n.Value()
		oldCopy := reflect.New(old.Type()).Elem()
		oldCopy.Set(old)
		n.Set(reflect.Value{})
		e.undo = append(e.undo, func() { n.Set(oldCopy) })
		return nil
	})
}

// leafEqual compares two leaf field values; a zero Value or an unset leaf
// equals only another absent one.
func leafEqual(a, b reflect.Value) bool {
	pa, pb := a.IsValid() && Present(a), b.IsValid() && Present(b)
	if !pa || !pb {
		return pa == pb
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
