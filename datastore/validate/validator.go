package validate

import (
	"errors"
	"math"
	"sort"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/openconfig/goyang/pkg/yang"
)

// Validator holds what is compiled once per schema: for every leaf, what
// it takes part in — the leafref it is the source of, the target sets it
// provides values to, the predicates that read it — and the lists and
// containers with constraints on their size or choices.
type Validator struct {
	s      *tree.Schema
	leaves map[string]*leafInfo  // by schema path, e.g. /interfaces/interface/config/mtu
	sets   map[string]*targetSet // by signature, see compileClass
	// byField is leaves by field, nil if a field has several paths.
	byField map[*tree.Field]*leafInfo
	// bounded are the lists with min-elements or max-elements.
	bounded map[*tree.Field]bool
	// choices are the containers (and the root) that hold choices, with
	// them: ygot checks that at most one case of each is set.
	choices map[*tree.Struct][]*yang.Entry
}

// leafInfo is what the validator knows of one leaf, leaf-list or unkeyed
// list of the schema.
type leafInfo struct {
	schema string
	field  *tree.Field
	steps  []*tree.Field // the schema node of each element of its data path
	// key is the leaf's index among the keys of the list entry holding it,
	// or -1.
	key int
	// check is the entry values are checked against (see valueEntry), or
	// checkErr why ytypes cannot check them.
	check    *yang.Entry
	checkErr error
	source   *class
	targets  []*targetSet
	preds    []predUse
}

// New compiles the leafrefs and constraints of a schema. It fails if the
// schema has leafrefs that ygot resolves in ways that depend on the data
// beyond what this package mirrors (see errUnsupported); OpenConfig and
// nwmo's own model have none.
func New(s *tree.Schema) (*Validator, error) {
	v := &Validator{
		s:       s,
		leaves:  map[string]*leafInfo{},
		byField: map[*tree.Field]*leafInfo{},
		sets:    map[string]*targetSet{},
		bounded: map[*tree.Field]bool{},
		choices: map[*tree.Struct][]*yang.Entry{},
	}
	var leafrefs []*leafInfo
	seen := map[*tree.Field]bool{}
	var visit func(st *tree.Struct, steps []*tree.Field, path string)
	visit = func(st *tree.Struct, steps []*tree.Field, path string) {
		// ygot checks choices in containers and the root only:
		// validateList does not look for them in list entries.
		if len(steps) == 0 || steps[len(steps)-1].Kind == tree.Container {
			for _, e := range st.Entry.Dir {
				if e.IsChoice() {
					v.choices[st] = append(v.choices[st], e)
				}
			}
		}
		for _, f := range st.Fields {
			fpath := path + "/" + f.Name
			fsteps := append(steps[:len(steps):len(steps)], f)
			switch f.Kind {
			case tree.Leaf, tree.LeafList, tree.UnkeyedList:
				info := &leafInfo{schema: fpath, field: f, steps: fsteps, key: -1}
				info.check, info.checkErr = valueEntry(f.Entry)
				if seen[f] {
					// A struct type reached by two paths: its fields
					// cannot be told apart by *tree.Field.
					v.byField = nil
				} else if v.byField != nil {
					v.byField[f] = info
				}
				seen[f] = true
				for i, k := range st.Keys {
					if k == f {
						info.key = i
					}
				}
				v.leaves[fpath] = info
				if f.Kind != tree.UnkeyedList && f.Entry.Type != nil && f.Entry.Type.Kind == yang.Yleafref {
					leafrefs = append(leafrefs, info)
				}
			}
			if f.Kind == tree.List && f.Entry.ListAttr != nil &&
				(f.Entry.ListAttr.MinElements > 0 || f.Entry.ListAttr.MaxElements != 0 && f.Entry.ListAttr.MaxElements != math.MaxUint64) {
				v.bounded[f] = true
			}
			if f.Struct != nil {
				visit(f.Struct, fsteps, fpath)
			}
		}
	}
	visit(s.Root, nil, "")
	sort.Slice(leafrefs, func(i, j int) bool { return leafrefs[i].schema < leafrefs[j].schema })
	var errs []error
	for _, info := range leafrefs {
		c, err := v.compileClass(info)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		info.source = c
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// leafInfo returns what is known of leaf f of the struct at path at.
func (v *Validator) leafInfo(at *dpath, f *tree.Field) *leafInfo {
	if v.byField != nil {
		return v.byField[f]
	}
	return v.leaves[at.schema+"/"+f.Name]
}

// leafref reports whether the leaf takes part in a leafref.
func (l *leafInfo) leafref() bool {
	return l.source != nil || len(l.targets) > 0 || len(l.preds) > 0
}
