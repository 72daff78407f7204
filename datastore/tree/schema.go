package tree

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/openconfig/goyang/pkg/yang"
	"github.com/openconfig/ygot/util"
	"github.com/openconfig/ygot/ygot"
	"github.com/openconfig/ygot/ytypes"
)

// Kind says what a field of a generated struct holds.
type Kind uint8

// The kinds of schema nodes a struct field can be.
const (
	Leaf        Kind = iota // a scalar: *T, an enum, a union, Binary, YANGEmpty
	LeafList                // a slice of scalars
	Container               // a pointer to a generated struct
	List                    // a map from key to pointer to a generated struct
	UnkeyedList             // a slice of pointers to generated structs (state only)
)

func (k Kind) String() string {
	return [...]string{"leaf", "leaf-list", "container", "list", "unkeyed list"}[k]
}

// Schema is a compiled model set: every generated struct type reachable
// from the root, with its YANG entry and fields indexed by YANG name.
type Schema struct {
	// Root describes the fake root struct.
	Root *Struct
	// YTypes is ygot's own view of the schema, for the rare operations done
	// with ytypes (unions are resolved with it).
	YTypes  *ytypes.Schema
	structs map[reflect.Type]*Struct
}

// Struct describes one generated struct type: a container or a list entry.
type Struct struct {
	Type   reflect.Type // the struct type (not the pointer)
	Entry  *yang.Entry
	Fields []*Field
	byName map[string]*Field
	// Keys are the key leaves of a list entry, in key order; nil for a
	// container.
	Keys []*Field
	// Mirrors are, for each key leaf that is a leafref to ../config/KEY
	// (the OpenConfig convention), that config leaf; nil entries for keys
	// without one.
	Mirrors []*Mirror
}

// Mirror is the config leaf that an OpenConfig list key must equal.
type Mirror struct {
	Config *Field // the config container
	Leaf   *Field // the leaf in it
}

// Field describes one field of a generated struct.
type Field struct {
	Name   string // YANG identifier, e.g. "mtu"
	Module string // the module defining the node, for RFC 7951 names
	Index  int    // index of the Go field
	Kind   Kind
	Entry  *yang.Entry
	Type   reflect.Type // the Go field's type
	// Config is false for state (config false) nodes and all below them.
	Config bool
	// Key is true for a list's key leaf, and for the config leaf an
	// OpenConfig key refers to (config/name for key name).
	Key bool
	// Struct is the struct of a container or of a list's entries.
	Struct *Struct
	// KeyFields, for a list keyed by several leaves, are the indexes of the
	// Go fields of the generated key struct, in key order.
	KeyFields []int
}

// Child returns the field named name (a YANG identifier, optionally
// prefixed by a module name or prefix and a colon), or nil.
func (s *Struct) Child(name string) *Field {
	if f, ok := s.byName[name]; ok {
		return f
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		if f, ok := s.byName[name[i+1:]]; ok && (f.Module == name[:i] || prefixOf(f.Entry) == name[:i]) {
			return f
		}
	}
	return nil
}

func prefixOf(e *yang.Entry) string {
	if e == nil {
		return ""
	}
	if p := e.Prefix; p != nil {
		return p.Name
	}
	return ""
}

// Path is the schema path of the struct, for messages.
func (s *Struct) Path() string {
	if s.Entry == nil || s.Entry.Parent == nil {
		return "/"
	}
	return util.SchemaTreePathNoModule(s.Entry)
}

// Struct returns the description of a generated struct type (or pointer to
// it), or nil if the type is not part of this schema.
func (s *Schema) Struct(t reflect.Type) *Struct {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return s.structs[t]
}

// New returns a new, empty root.
func (s *Schema) New() ygot.GoStruct {
	return reflect.New(s.Root.Type).Interface().(ygot.GoStruct)
}

// SchemaFunc is the Schema function of a generated package.
type SchemaFunc func() (*ytypes.Schema, error)

// Compile indexes the schema that a generated package's Schema function
// returns.
func Compile(load SchemaFunc) (*Schema, error) {
	ys, err := load()
	if err != nil {
		return nil, fmt.Errorf("loading schema: %w", err)
	}
	if !ys.IsValid() {
		return nil, fmt.Errorf("schema has no fake root")
	}
	s := &Schema{YTypes: ys, structs: map[reflect.Type]*Struct{}}
	rt := reflect.TypeOf(ys.Root).Elem()
	root, err := s.compile(rt, ys.RootSchema(), true)
	if err != nil {
		return nil, err
	}
	s.Root = root
	// Compile every codec now: a union leaf's member types are known only
	// once its parent struct is indexed, and start-up is the place for it.
	if err := s.Prepare(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Schema) compile(t reflect.Type, entry *yang.Entry, config bool) (*Struct, error) {
	if st, ok := s.structs[t]; ok {
		return st, nil
	}
	st := &Struct{Type: t, Entry: entry, byName: map[string]*Field{}}
	s.structs[t] = st
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, ok := sf.Tag.Lookup("path")
		if !ok {
			continue
		}
		if strings.Contains(name, "/") {
			return nil, fmt.Errorf("%s.%s: path %q has several elements; only uncompressed schemas are supported", t.Name(), sf.Name, name)
		}
		fe, err := util.ChildSchema(entry, sf)
		if err != nil || fe == nil {
			return nil, fmt.Errorf("%s.%s: no schema entry for %q: %v", t.Name(), sf.Name, name, err)
		}
		module := sf.Tag.Get("module")
		if module == "" {
			module = moduleOf(fe)
		}
		f := &Field{Name: name, Module: module, Index: i, Entry: fe, Type: sf.Type,
			Config: config && fe.Config != yang.TSFalse}
		switch {
		case fe.IsList() && sf.Type.Kind() == reflect.Map:
			f.Kind = List
			if f.Struct, err = s.compile(sf.Type.Elem().Elem(), fe, f.Config); err != nil {
				return nil, err
			}
		case fe.IsList() && sf.Type.Kind() == reflect.Slice:
			f.Kind = UnkeyedList
			if f.Struct, err = s.compile(sf.Type.Elem().Elem(), fe, f.Config); err != nil {
				return nil, err
			}
		case fe.IsList():
			return nil, fmt.Errorf("%s.%s: ordered-by user lists are not supported", t.Name(), sf.Name)
		case fe.IsContainer():
			f.Kind = Container
			if f.Struct, err = s.compile(sf.Type.Elem(), fe, f.Config); err != nil {
				return nil, err
			}
		case fe.IsLeafList():
			f.Kind = LeafList
		default:
			f.Kind = Leaf
		}
		st.Fields = append(st.Fields, f)
		st.byName[name] = f
	}
	for _, f := range st.Fields {
		if f.Kind == List {
			if err := f.Struct.compileKeys(f); err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}

// compileKeys finds the key leaves of the entries of list l.
func (st *Struct) compileKeys(l *Field) error {
	if st.Keys != nil {
		return nil
	}
	names := strings.Fields(l.Entry.Key)
	if len(names) == 0 {
		return fmt.Errorf("list %s has no key", l.Entry.Path())
	}
	for _, n := range names {
		k := st.byName[n]
		if k == nil || k.Kind != Leaf {
			return fmt.Errorf("list %s: key %q is not a leaf of its entries", l.Entry.Path(), n)
		}
		k.Key = true
		st.Keys = append(st.Keys, k)
		m := st.mirrorOf(k)
		if m != nil {
			m.Leaf.Key = true
		}
		st.Mirrors = append(st.Mirrors, m)
	}
	if len(names) > 1 {
		kt := l.Type.Key()
		for _, n := range names {
			found := -1
			for i := 0; i < kt.NumField(); i++ {
				if kt.Field(i).Tag.Get("path") == n {
					found = i
				}
			}
			if found < 0 {
				return fmt.Errorf("list %s: key struct %s lacks %q", l.Entry.Path(), kt.Name(), n)
			}
			l.KeyFields = append(l.KeyFields, found)
		}
	}
	return nil
}

// mirrorOf finds the config leaf a key leaf refers to, if it is a leafref
// to ../config/NAME.
func (st *Struct) mirrorOf(k *Field) *Mirror {
	t := k.Entry.Type
	if t == nil || t.Kind != yang.Yleafref {
		return nil
	}
	var elems []string
	for _, e := range strings.Split(t.Path, "/") {
		if i := strings.IndexByte(e, ':'); i >= 0 {
			e = e[i+1:]
		}
		elems = append(elems, e)
	}
	if len(elems) != 3 || elems[0] != ".." {
		return nil
	}
	cfg := st.byName[elems[1]]
	if cfg == nil || cfg.Kind != Container {
		return nil
	}
	leaf := cfg.Struct.byName[elems[2]]
	if leaf == nil || leaf.Kind != Leaf || leaf.Type != k.Type {
		return nil
	}
	return &Mirror{Config: cfg, Leaf: leaf}
}

// moduleOf is the name of the module that defines e, which for an augmented
// node is the augmenting module.
func moduleOf(e *yang.Entry) string {
	if e.Node != nil {
		if m := yang.RootNode(e.Node); m != nil {
			return m.Name
		}
	}
	return ""
}
