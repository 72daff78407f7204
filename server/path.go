package server

import (
	"errors"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore/tree"
)

// Path wildcards, as gNMI path conventions define them.
const (
	anyOne   = "*"   // a name matching any one element; a key value matching any
	anyLevel = "..." // a name matching any number of levels
)

// formatPath writes a path for messages, with its origin when it has one.
func formatPath(p *gpb.Path) string {
	s := tree.FormatPath(p.GetElem())
	if o := p.GetOrigin(); o != "" {
		return o + ":" + s
	}
	return s
}

// joinPath returns the elements of prefix followed by those of p, after
// checking the syntax of both: every element named, no deprecated
// string-only elements, the target in the prefix only.
func joinPath(prefix, p *gpb.Path) ([]*gpb.PathElem, error) {
	for _, x := range []*gpb.Path{prefix, p} {
		if len(x.GetElement()) > 0 { //nolint:staticcheck // rejecting the deprecated field is the point
			return nil, badRequest("path %q uses the deprecated element field; use elem", strings.Join(x.GetElement(), "/")) //nolint:staticcheck
		}
	}
	if p.GetTarget() != "" {
		return nil, badRequest("path %s sets target %q; the target belongs in the prefix", formatPath(p), p.GetTarget())
	}
	elems := make([]*gpb.PathElem, 0, len(prefix.GetElem())+len(p.GetElem()))
	elems = append(elems, prefix.GetElem()...)
	elems = append(elems, p.GetElem()...)
	for i, e := range elems {
		if err := checkElem(e); err != nil {
			return nil, badRequest("path %s, element %d: %v", tree.FormatPath(elems), i, err)
		}
	}
	return elems, nil
}

func checkElem(e *gpb.PathElem) error {
	name := e.GetName()
	switch {
	case name == "":
		return errors.New("empty name")
	case strings.ContainsAny(name, "/[]= \t\n"):
		return errors.New("name " + name + " holds a character a YANG identifier cannot")
	case name == anyLevel && len(e.GetKey()) > 0:
		return errors.New("the wildcard ... cannot have keys")
	}
	for k, v := range e.GetKey() {
		if k == "" {
			return errors.New("empty key name")
		}
		if v == "" {
			return errors.New("key " + k + " has an empty value")
		}
	}
	return nil
}

// hasWildcard reports whether a path holds a wildcard name or key.
func hasWildcard(elems []*gpb.PathElem) bool {
	for _, e := range elems {
		if e.GetName() == anyOne || e.GetName() == anyLevel {
			return true
		}
		for _, v := range e.GetKey() {
			if v == anyOne {
				return true
			}
		}
	}
	return false
}

// trimAnyLevel drops a trailing "...": a path already stands for
// everything below it, and matching every level would report each subtree
// once per level.
func trimAnyLevel(elems []*gpb.PathElem) []*gpb.PathElem {
	for len(elems) > 0 && elems[len(elems)-1].GetName() == anyLevel {
		elems = elems[:len(elems)-1]
	}
	return elems
}

// checkSchema checks a path, which may hold wildcards, against the schema
// and returns it with canonical names (module prefixes dropped) and the
// keys it leaves out of list entries spelled "*". Its
// concrete steps must exist (an unknown name wraps tree.ErrUnknownPath),
// keys must be the list's own and parse (tree.ErrBadPath, ErrBadValue),
// and no step may go below a leaf. Past a wildcard name the schema cannot
// be followed; names there only lose their module prefix.
func checkSchema(sc *tree.Schema, elems []*gpb.PathElem) ([]*gpb.PathElem, error) {
	out := make([]*gpb.PathElem, len(elems))
	st := sc.Root
	for i, e := range elems {
		name := e.GetName()
		if st == nil || name == anyOne || name == anyLevel {
			for j := i; j < len(elems); j++ {
				out[j] = canonical(elems[j], stripModule(elems[j].GetName()))
			}
			if st == nil && name != anyOne && name != anyLevel {
				return nil, badRequest("path %s: %s is a leaf; the path cannot go below it", tree.FormatPath(elems), tree.FormatPath(elems[:i]))
			}
			return out, nil
		}
		f := st.Child(name)
		if f == nil {
			return nil, unknownPath(st, elems[:i], name)
		}
		out[i] = canonical(e, f.Name)
		if len(e.GetKey()) > 0 {
			if f.Kind != tree.List {
				return nil, badRequest("path %s: %s is a %s and has no keys", tree.FormatPath(elems), f.Name, f.Kind)
			}
			if err := checkKeys(sc, f, e, out[:i+1]); err != nil {
				return nil, err
			}
		}
		if f.Kind == tree.List && len(e.GetKey()) < len(f.Struct.Keys) && (len(e.GetKey()) > 0 || i < len(elems)-1) {
			// A key left out matches any entry; spelling it "*" makes
			// the path a wildcard path for tree.Match too. (A list named
			// last without keys stands for the whole list.)
			keys := make(map[string]string, len(f.Struct.Keys))
			for _, kf := range f.Struct.Keys {
				keys[kf.Name] = anyOne
			}
			for k, v := range e.GetKey() {
				keys[k] = v
			}
			out[i] = &gpb.PathElem{Name: f.Name, Key: keys}
		}
		st = f.Struct
	}
	return out, nil
}

// unknownPath is the error for a name the schema does not have under st.
func unknownPath(st *tree.Struct, at []*gpb.PathElem, name string) error {
	var names []string
	for _, f := range st.Fields {
		names = append(names, f.Name)
	}
	hint := ""
	if len(names) <= 12 {
		hint = "; it has " + strings.Join(names, ", ")
	}
	return &pathError{err: tree.ErrUnknownPath, msg: tree.FormatPath(at) + " has no child " + quote(name) + hint}
}

func quote(s string) string { return `"` + s + `"` }

// pathError is a schema error about a path, wrapping a tree sentinel.
type pathError struct {
	err error
	msg string
}

func (e *pathError) Error() string { return e.err.Error() + ": " + e.msg }
func (e *pathError) Unwrap() error { return e.err }

// checkKeys checks the keys of a path element of list f: names must be
// the list's keys; when all are given without wildcards, they must parse.
func checkKeys(sc *tree.Schema, f *tree.Field, e *gpb.PathElem, at []*gpb.PathElem) error {
	wild := false
	for k, v := range e.GetKey() {
		isKey := false
		for _, kf := range f.Struct.Keys {
			isKey = isKey || kf.Name == k
		}
		if !isKey {
			var names []string
			for _, kf := range f.Struct.Keys {
				names = append(names, kf.Name)
			}
			return badRequest("path %s: list %s is keyed by %s, not %q", tree.FormatPath(at), f.Name, strings.Join(names, ", "), k)
		}
		wild = wild || v == anyOne
	}
	if wild || len(e.GetKey()) != len(f.Struct.Keys) {
		return nil
	}
	_, err := sc.ListKey(f, e.GetKey(), at)
	return err
}

// canonical returns e under the name name, keeping its keys.
func canonical(e *gpb.PathElem, name string) *gpb.PathElem {
	if e.GetName() == name {
		return e
	}
	return &gpb.PathElem{Name: name, Key: e.GetKey()}
}

func stripModule(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// concretePrefix is the part of a canonical path before its first
// wildcard: a wildcard name or key, or a list step (not the last) that
// leaves keys out.
func concretePrefix(sc *tree.Schema, elems []*gpb.PathElem) []*gpb.PathElem {
	st := sc.Root
	for i, e := range elems {
		if e.GetName() == anyOne || e.GetName() == anyLevel || st == nil {
			return elems[:i]
		}
		for _, v := range e.GetKey() {
			if v == anyOne {
				return elems[:i]
			}
		}
		f := st.Child(e.GetName())
		if f == nil {
			return elems[:i]
		}
		if f.Kind == tree.List && i < len(elems)-1 && len(e.GetKey()) < len(f.Struct.Keys) {
			return elems[:i]
		}
		st = f.Struct
	}
	return elems
}
