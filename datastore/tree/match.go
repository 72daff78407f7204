package tree

import (
	"fmt"
	"reflect"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
)

// Match calls fn for every existing node a path matches. The path may hold
// wildcards as gNMI path conventions define them: a name "*" matches any
// one child, "..." any number of levels, and a key "*" (or a key left out)
// any entry. Nodes are visited in schema order and lists in key order; the
// paths given to fn hold no wildcard. A path not in the schema is an error.
func (s *Schema) Match(root ygot.GoStruct, path []*gpb.PathElem, fn func(Node) error) error {
	if err := s.checkPattern(s.Root, path, nil); err != nil {
		return err
	}
	return s.match(s.Root, reflect.ValueOf(root), nil, path, false, fn)
}

func hasWildcard(path []*gpb.PathElem) bool {
	for _, e := range path {
		if e.GetName() == "*" || e.GetName() == "..." {
			return true
		}
		for _, v := range e.GetKey() {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// checkPattern rejects a wildcard path none of whose concrete steps exist
// in the schema, so that a typo is an error and not an empty answer.
func (s *Schema) checkPattern(st *Struct, rest, at []*gpb.PathElem) error {
	if len(rest) == 0 || st == nil {
		return nil
	}
	e := rest[0]
	switch e.GetName() {
	case "*", "...":
		return nil
	}
	f := st.Child(e.GetName())
	if f == nil {
		return unknownChild(st, at, e.GetName())
	}
	return s.checkPattern(f.Struct, rest[1:], append(at, e))
}

// match walks rest from the struct v. Below a wildcard (lenient), a name
// that a node does not have only fails to match there.
func (s *Schema) match(st *Struct, v reflect.Value, at, rest []*gpb.PathElem, lenient bool, fn func(Node) error) error {
	if len(rest) == 0 {
		if len(at) == 0 {
			return fn(Node{Parent: v, Path: at})
		}
		return nil
	}
	e := rest[0]
	switch e.GetName() {
	case "...":
		// "..." matches zero levels, then one more level followed by
		// "..." again.
		if err := s.match(st, v, at, rest[1:], true, fn); err != nil {
			return err
		}
		return s.children(st, v, at, func(child Node, cst *Struct, cv reflect.Value) error {
			if len(rest) == 1 {
				if err := fn(child); err != nil {
					return err
				}
			}
			if cst == nil {
				return nil
			}
			return s.match(cst, cv, child.Path, rest, true, fn)
		})
	case "*":
		return s.children(st, v, at, func(child Node, cst *Struct, cv reflect.Value) error {
			if len(rest) == 1 {
				return fn(child)
			}
			if cst == nil {
				return nil
			}
			return s.match(cst, cv, child.Path, rest[1:], true, fn)
		})
	}
	f := st.Child(e.GetName())
	if f == nil {
		if lenient {
			return nil
		}
		return unknownChild(st, at, e.GetName())
	}
	fv := v.Elem().Field(f.Index)
	here := appendElem(at, &gpb.PathElem{Name: f.Name})
	switch f.Kind {
	case Leaf, LeafList, UnkeyedList:
		if len(rest) > 1 {
			return fmt.Errorf("%w: %s is a %s; the path cannot go below it", ErrBadPath, FormatPath(here), f.Kind)
		}
		if Present(fv) {
			return fn(Node{Parent: v, Field: f, Path: here})
		}
		return nil
	case Container:
		if fv.IsNil() {
			return nil
		}
		if len(rest) == 1 {
			return fn(Node{Parent: v, Field: f, Path: here})
		}
		return s.match(f.Struct, fv, here, rest[1:], lenient, fn)
	}
	// A list: its keys may be partly given, partly wildcards.
	if len(e.GetKey()) == 0 && len(rest) == 1 {
		if fv.Len() > 0 {
			return fn(Node{Parent: v, Field: f, Path: here})
		}
		return nil
	}
	for k := range e.GetKey() {
		if f.Struct.Child(k) == nil || !isKey(f.Struct, f.Struct.Child(k)) {
			return fmt.Errorf("%w: %s: list %s is keyed by %s, not %q", ErrBadPath, FormatPath(here), f.Name, keyNames(f.Struct), k)
		}
	}
	if !hasWildcard([]*gpb.PathElem{e}) && len(e.GetKey()) == len(f.Struct.Keys) {
		key, err := s.ListKey(f, e.GetKey(), here)
		if err != nil {
			return err
		}
		entry := fv.MapIndex(key)
		if !entry.IsValid() {
			return nil
		}
		n := Node{Parent: v, Field: f, Key: key, Path: appendElem(at, &gpb.PathElem{Name: f.Name, Key: KeyMap(f, key)})}
		if len(rest) == 1 {
			return fn(n)
		}
		return s.match(f.Struct, entry, n.Path, rest[1:], lenient, fn)
	}
	for _, key := range SortedKeys(f, fv) {
		km := KeyMap(f, key)
		if !keysMatch(e.GetKey(), km) {
			continue
		}
		n := Node{Parent: v, Field: f, Key: key, Path: appendElem(at, &gpb.PathElem{Name: f.Name, Key: km})}
		if len(rest) == 1 {
			if err := fn(n); err != nil {
				return err
			}
			continue
		}
		if err := s.match(f.Struct, fv.MapIndex(key), n.Path, rest[1:], lenient, fn); err != nil {
			return err
		}
	}
	return nil
}

func keysMatch(pattern, key map[string]string) bool {
	for k, want := range pattern {
		if want != "*" && key[k] != want {
			return false
		}
	}
	return true
}

// children calls fn for every child of a struct that holds data: each
// leaf, container and list entry. For containers and entries it also gives
// the child's struct and value, to descend into.
func (s *Schema) children(st *Struct, v reflect.Value, at []*gpb.PathElem, fn func(Node, *Struct, reflect.Value) error) error {
	for _, f := range st.Fields {
		fv := v.Elem().Field(f.Index)
		here := appendElem(at, &gpb.PathElem{Name: f.Name})
		switch f.Kind {
		case Leaf, LeafList, UnkeyedList:
			if Present(fv) {
				if err := fn(Node{Parent: v, Field: f, Path: here}, nil, reflect.Value{}); err != nil {
					return err
				}
			}
		case Container:
			if !fv.IsNil() {
				if err := fn(Node{Parent: v, Field: f, Path: here}, f.Struct, fv); err != nil {
					return err
				}
			}
		case List:
			for _, key := range SortedKeys(f, fv) {
				n := Node{Parent: v, Field: f, Key: key, Path: appendElem(at, &gpb.PathElem{Name: f.Name, Key: KeyMap(f, key)})}
				if err := fn(n, f.Struct, fv.MapIndex(key)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
