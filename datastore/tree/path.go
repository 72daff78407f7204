package tree

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
)

// Node is a schema node located in a data tree: the field of a struct, and
// for a list entry, its key.
type Node struct {
	// Parent points to the struct that holds Field.
	Parent reflect.Value
	Field  *Field
	// Key is the map key of a list entry; the zero Value for every other
	// node, including a whole list.
	Key reflect.Value
	// Path is the node's data path from the root, with every key.
	Path []*gpb.PathElem
}

// IsRoot reports whether n is the root itself.
func (n Node) IsRoot() bool { return n.Field == nil }

// IsEntry reports whether n is one entry of a list.
func (n Node) IsEntry() bool { return n.Key.IsValid() }

// Struct describes the struct n holds, for the root, a container or a list
// entry; nil otherwise.
func (n Node) Struct(s *Schema) *Struct {
	switch {
	case n.IsRoot():
		return s.Root
	case n.Field.Kind == Container, n.IsEntry():
		return n.Field.Struct
	}
	return nil
}

// Value is the node's current value: a pointer to its struct for the root,
// a container or a list entry; the map of a list; the Go field of a leaf.
// It is the zero Value when a list entry does not exist.
func (n Node) Value() reflect.Value {
	if n.IsRoot() {
		return n.Parent
	}
	v := n.Parent.Elem().Field(n.Field.Index)
	if n.IsEntry() {
		return v.MapIndex(n.Key)
	}
	return v
}

// Exists reports whether the node holds any data.
func (n Node) Exists() bool {
	v := n.Value()
	if !v.IsValid() {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		return !v.IsNil() && (v.Kind() != reflect.Map && v.Kind() != reflect.Slice || v.Len() > 0)
	}
	return !v.IsZero()
}

// Set replaces the node's value; for a list entry an invalid v deletes the
// entry. For other nodes an invalid v clears the field.
func (n Node) Set(v reflect.Value) {
	if n.IsRoot() {
		if v.IsValid() {
			n.Parent.Elem().Set(v.Elem())
		} else {
			n.Parent.Elem().SetZero()
		}
		return
	}
	f := n.Parent.Elem().Field(n.Field.Index)
	if n.IsEntry() {
		if f.IsNil() {
			if !v.IsValid() {
				return
			}
			f.Set(reflect.MakeMap(f.Type()))
		}
		f.SetMapIndex(n.Key, v)
		if f.Len() == 0 {
			f.SetZero()
		}
		return
	}
	if v.IsValid() {
		f.Set(v)
	} else {
		f.SetZero()
	}
}

// FieldAt returns the schema node of a data path (list keys ignored), or
// nil when the schema has none.
func (s *Schema) FieldAt(p []*gpb.PathElem) *Field {
	st := s.Root
	var f *Field
	for _, e := range p {
		if st == nil {
			return nil
		}
		if f = st.Child(e.GetName()); f == nil {
			return nil
		}
		st = f.Struct
	}
	return f
}

// Resolve locates the node at a path without wildcards. With create, the
// containers and list entries on the way are created (list entries with
// their key leaves set) and returned in created, oldest first. Without
// create, ok is false when an ancestor of the node does not exist. A path
// that is not in the schema is an error wrapping ErrUnknownPath; a bad
// key, one wrapping ErrBadValue.
func (s *Schema) Resolve(root ygot.GoStruct, elems []*gpb.PathElem, create bool) (n Node, ok bool, created []Node, err error) {
	cur := reflect.ValueOf(root)
	st := s.Root
	n = Node{Parent: cur, Path: elems[:0:0]}
	for i, e := range elems {
		f := st.Child(e.GetName())
		if f == nil {
			return n, false, created, unknownChild(st, elems[:i], e.GetName())
		}
		n = Node{Parent: cur, Field: f, Path: elems[:i+1]}
		if f.Kind == List && len(e.GetKey()) > 0 {
			key, err := s.ListKey(f, e.GetKey(), elems[:i+1])
			if err != nil {
				return n, false, created, err
			}
			n.Key = key
		} else if len(e.GetKey()) > 0 {
			return n, false, created, fmt.Errorf("%w: %s is a %s and has no keys", ErrBadPath, FormatPath(elems[:i+1]), f.Kind)
		}
		if i == len(elems)-1 {
			return n, true, created, nil
		}
		switch {
		case f.Kind == Container:
			v := cur.Elem().Field(f.Index)
			if v.IsNil() {
				if !create {
					return n, false, created, nil
				}
				v.Set(reflect.New(f.Struct.Type))
				created = append(created, n)
			}
			cur = v
		case n.IsEntry():
			v := n.Value()
			if !v.IsValid() {
				if !create {
					return n, false, created, nil
				}
				v = s.NewEntry(f, n.Key)
				n.Set(v)
				created = append(created, n)
			}
			cur = v
		case f.Kind == List:
			return n, false, created, fmt.Errorf("%w: %s needs the keys of list %s", ErrBadPath, FormatPath(elems[:i+1]), f.Name)
		default:
			return n, false, created, fmt.Errorf("%w: %s is a %s; the path cannot go below it", ErrBadPath, FormatPath(elems[:i+1]), f.Kind)
		}
		st = f.Struct
	}
	return n, true, created, nil
}

func unknownChild(st *Struct, at []*gpb.PathElem, name string) error {
	return fmt.Errorf("%w: %s has no child %q", ErrUnknownPath, FormatPath(at), name)
}

// ListKey converts the keys of a path element of list f into the list's
// map key. Every key must be given, and no other.
func (s *Schema) ListKey(f *Field, keys map[string]string, at []*gpb.PathElem) (reflect.Value, error) {
	st := f.Struct
	if len(keys) != len(st.Keys) {
		return reflect.Value{}, fmt.Errorf("%w: %s: list %s is keyed by %s", ErrBadPath, FormatPath(at), f.Name, keyNames(st))
	}
	vals := make([]reflect.Value, len(st.Keys))
	for i, kf := range st.Keys {
		raw, ok := keys[kf.Name]
		if !ok {
			return reflect.Value{}, fmt.Errorf("%w: %s: list %s is keyed by %s", ErrBadPath, FormatPath(at), f.Name, keyNames(st))
		}
		v, err := keyValue(kf, raw)
		if err != nil {
			return reflect.Value{}, fmt.Errorf("%w: %s: key %s=%q: %v", ErrBadValue, FormatPath(at), kf.Name, raw, err)
		}
		vals[i] = v
	}
	return mapKey(f, vals), nil
}

func keyNames(st *Struct) string {
	names := make([]string, len(st.Keys))
	for i, k := range st.Keys {
		names[i] = k.Name
	}
	return strings.Join(names, ", ")
}

// keyValue converts a key as written in a path to the value of the key
// leaf, dereferenced (map keys are not pointers).
func keyValue(kf *Field, raw string) (reflect.Value, error) {
	var j any = raw
	if isNumeric(kf.Type) {
		j = json.Number(raw)
	} else if base(kf.Type).Kind() == reflect.Bool {
		j = raw == "true"
	}
	v, err := kf.FromJSON(j, false)
	if err != nil {
		return reflect.Value{}, err
	}
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return v, nil
}

func base(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

func isNumeric(t reflect.Type) bool {
	t = base(t)
	if _, isEnum := reflect.New(t).Elem().Interface().(ygot.GoEnum); isEnum {
		return false
	}
	switch t.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Uint16,
		reflect.Uint32, reflect.Uint64, reflect.Float64:
		return true
	}
	return false
}

// mapKey builds the Go map key of list f from its key leaf values.
func mapKey(f *Field, vals []reflect.Value) reflect.Value {
	if len(vals) == 1 {
		return vals[0].Convert(f.Type.Key())
	}
	k := reflect.New(f.Type.Key()).Elem()
	for i, v := range vals {
		k.Field(f.KeyFields[i]).Set(v)
	}
	return k
}

// KeyLeaves splits a map key of list f into the key leaf values, in key
// order, dereferenced.
func KeyLeaves(f *Field, key reflect.Value) []reflect.Value {
	if len(f.KeyFields) == 0 {
		return []reflect.Value{key}
	}
	vals := make([]reflect.Value, len(f.KeyFields))
	for i, idx := range f.KeyFields {
		vals[i] = key.Field(idx)
	}
	return vals
}

// NewEntry returns a new entry of list f with its key leaves set, and the
// config leaves that OpenConfig keys refer to (config/name for key name).
func (s *Schema) NewEntry(f *Field, key reflect.Value) reflect.Value {
	e := reflect.New(f.Struct.Type)
	for i, kv := range KeyLeaves(f, key) {
		kf := f.Struct.Keys[i]
		setScalar(e.Elem().Field(kf.Index), kv)
		if m := f.Struct.Mirrors[i]; m != nil {
			cfg := e.Elem().Field(m.Config.Index)
			cfg.Set(reflect.New(m.Config.Struct.Type))
			setScalar(cfg.Elem().Field(m.Leaf.Index), kv)
		}
	}
	return e
}

// FillMirrors sets the config leaves of a list entry that mirror its keys,
// where they are absent.
func FillMirrors(f *Field, entry reflect.Value) {
	for i, m := range f.Struct.Mirrors {
		if m == nil {
			continue
		}
		key := entry.Elem().Field(f.Struct.Keys[i].Index)
		cfg := entry.Elem().Field(m.Config.Index)
		if cfg.IsNil() {
			cfg.Set(reflect.New(m.Config.Struct.Type))
		}
		if leaf := cfg.Elem().Field(m.Leaf.Index); !Present(leaf) {
			leaf.Set(key)
		}
	}
}

// setScalar stores a dereferenced value into a leaf field, allocating the
// pointer a leaf field holds.
func setScalar(dst, v reflect.Value) {
	if dst.Kind() == reflect.Pointer {
		p := reflect.New(dst.Type().Elem())
		p.Elem().Set(v)
		dst.Set(p)
	} else {
		dst.Set(v)
	}
}

// KeyMap returns the gNMI path keys of the entry of list f at key.
func KeyMap(f *Field, key reflect.Value) map[string]string {
	vals := KeyLeaves(f, key)
	m := make(map[string]string, len(vals))
	for i, v := range vals {
		m[f.Struct.Keys[i].Name] = keyString(f.Struct.Keys[i], v)
	}
	return m
}

// keyString formats a key leaf value as a gNMI path key.
func keyString(kf *Field, v reflect.Value) string {
	if kf.Type.Kind() == reflect.Pointer && v.Kind() != reflect.Pointer {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		v = p
	}
	j, err := kf.JSONValue(v, false)
	if err != nil {
		return fmt.Sprint(v.Interface())
	}
	switch j := j.(type) {
	case string:
		return j
	default:
		return fmt.Sprint(j)
	}
}

// SortedKeys returns the keys of a list map in a stable order: by key
// leaves, numerically for numbers.
func SortedKeys(f *Field, m reflect.Value) []reflect.Value {
	keys := m.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return keyLess(f, keys[i], keys[j]) })
	return keys
}

func keyLess(f *Field, a, b reflect.Value) bool {
	av, bv := KeyLeaves(f, a), KeyLeaves(f, b)
	for i := range av {
		if c := compareScalar(av[i], bv[i]); c != 0 {
			return c < 0
		}
	}
	return false
}

func compareScalar(a, b reflect.Value) int {
	switch a.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cmp3(a.Int() < b.Int(), a.Int() > b.Int())
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return cmp3(a.Uint() < b.Uint(), a.Uint() > b.Uint())
	case reflect.Float64, reflect.Float32:
		return cmp3(a.Float() < b.Float(), a.Float() > b.Float())
	case reflect.String:
		return strings.Compare(a.String(), b.String())
	case reflect.Bool:
		return cmp3(!a.Bool() && b.Bool(), a.Bool() && !b.Bool())
	}
	return strings.Compare(fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()))
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	}
	return 0
}

// FormatPath writes path elements as a gNMI path string, e.g.
// /interfaces/interface[name=eth0]/config/mtu.
func FormatPath(elems []*gpb.PathElem) string {
	if len(elems) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, e := range elems {
		b.WriteByte('/')
		b.WriteString(e.GetName())
		if len(e.GetKey()) == 0 {
			continue
		}
		names := make([]string, 0, len(e.GetKey()))
		for k := range e.GetKey() {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v := e.GetKey()[k]
			v = strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "]", `\]`)
			fmt.Fprintf(&b, "[%s=%s]", k, v)
		}
	}
	return b.String()
}
