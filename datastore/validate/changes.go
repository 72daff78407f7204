package validate

import (
	"reflect"

	"github.com/nwmo/nwmo/datastore/tree"
)

// change is a leaf change in the validator's terms: its path rebuilt in
// canonical form and what the validator knows of the leaf.
type change struct {
	p        *dpath
	info     *leafInfo // nil for a leaf that takes part in no leafref
	old, new reflect.Value
	// inUnkeyed marks a leaf inside an unkeyed list: the list is reported
	// as one change and checked as a whole; its leaves are only looked at
	// for leafrefs.
	inUnkeyed bool
}

func (c *change) field() *tree.Field { return c.p.field }

// normalize turns the changes of an edit into the validator's changes:
// canonical paths, one change per leaf (an edit that spells a path two
// ways records it twice), and the leaves inside changed unkeyed lists.
func (v *Validator) normalize(changes []tree.LeafChange, errs *violations) []*change {
	out := make([]*change, 0, len(changes))
	byPath := make(map[string]*change, len(changes))
	cz := &canonicalizer{s: v.s}
	if len(changes) > 1 {
		cz.seen = map[prefixKey]*dpath{}
	}
	for _, lc := range changes {
		p, err := cz.path(lc.Path)
		if err != nil {
			if errs != nil {
				errs.add(tree.FormatPath(lc.Path), err.Error())
			}
			continue
		}
		if c := byPath[p.str]; c != nil {
			c.new = present(lc.New)
			continue
		}
		c := &change{p: p, info: v.leaves[p.schema], old: present(lc.Old), new: present(lc.New)}
		byPath[p.str] = c
		out = append(out, c)
	}
	return v.expandUnkeyed(out)
}

// present returns v, or the zero Value if v holds no value.
func present(v reflect.Value) reflect.Value {
	if !v.IsValid() || !tree.Present(v) {
		return reflect.Value{}
	}
	return v
}

// expandUnkeyed appends to chs a change for every leaf inside the unkeyed
// lists chs change, pairing old and new leaves by position.
func (v *Validator) expandUnkeyed(chs []*change) []*change {
	n := len(chs)
	for i := 0; i < n; i++ {
		c := chs[i]
		if c.field().Kind != tree.UnkeyedList {
			continue
		}
		inner := map[string]*change{}
		var order []*change
		collect := func(list reflect.Value, isNew bool) {
			if !list.IsValid() {
				return
			}
			for j := 0; j < list.Len(); j++ {
				walk(c.field().Struct, list.Index(j), c.p.element(j), &visitor{leaf: func(at *dpath, f *tree.Field, val reflect.Value) {
					p := at.child(f, reflect.Value{}, nil)
					ic := inner[p.str]
					if ic == nil {
						ic = &change{p: p, info: v.leaves[p.schema], inUnkeyed: true}
						inner[p.str] = ic
						order = append(order, ic)
					}
					if isNew {
						ic.new = val
					} else {
						ic.old = val
					}
				}})
			}
		}
		collect(c.old, false)
		collect(c.new, true)
		// Unkeyed lists nested in this one are expanded when the loop
		// reaches them.
		chs = append(chs, order...)
		n = len(chs)
	}
	return chs
}
