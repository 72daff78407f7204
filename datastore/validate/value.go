package validate

import (
	"fmt"
	"reflect"
	"sort"

	"github.com/nwmo/nwmo/datastore/tree"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/goyang/pkg/yang"
	"github.com/openconfig/ygot/util"
	"github.com/openconfig/ygot/ygot"
	"github.com/openconfig/ygot/ytypes"
)

// What ygot's Validate checks besides leafrefs, and so what is checked
// here for every changed node:
//
//   - each leaf and leaf-list against its YANG type: ranges, lengths,
//     patterns (the POSIX ones of OpenConfig's posix-pattern extension
//     when present), enum values, unions (some member type fits), decimal64
//     fraction digits. This is ytypes.Validate on the one leaf, which costs
//     the same whatever the size of the tree; an unkeyed list is checked
//     whole, as the tree reports it whole.
//   - each list entry's key leaves equal its map key;
//   - the size of lists with min-elements or max-elements, when they have
//     entries (ygot does not check empty lists, nor leaf-lists);
//   - at most one case of each choice in a container or the root.
//
// ygot does not check mandatory, must, when or unique statements, and
// neither does this package.

// checkValue checks the new value of a changed leaf against its type.
func checkValue(c *change, errs *violations) {
	if c.inUnkeyed || !c.new.IsValid() || c.info == nil {
		return
	}
	if reason := c.info.checkValue(c.new); reason != "" {
		errs.add(c.p.str, reason)
	}
}

// checkValue checks a value of the leaf against its type; it returns why
// it does not fit, or "".
func (l *leafInfo) checkValue(v reflect.Value) string {
	if l.checkErr != nil {
		return l.checkErr.Error()
	}
	if es := ytypes.Validate(l.check, v.Interface()); es != nil {
		return es.Error()
	}
	return ""
}

// valueEntry returns the schema entry values of leaf e are checked
// against. For a leafref it is e with the type of the leaf it refers to:
// ytypes checks a leafref's value against its target's type, and resolving
// the target on every call is most of the cost of checking a value.
func valueEntry(e *yang.Entry) (*yang.Entry, error) {
	if e.Type == nil || e.Type.Kind != yang.Yleafref {
		return e, nil
	}
	target, err := util.ResolveIfLeafRef(e)
	if err != nil {
		return nil, err
	}
	resolved := *e
	resolved.Name, resolved.Type = target.Name, target.Type
	return &resolved, nil
}

// checkKey checks a changed key leaf against the key of the entry holding
// it: equal when set; when removed, the entry must be gone too.
func checkKey(root ygot.GoStruct, s *tree.Schema, c *change, errs *violations) {
	if c.inUnkeyed || c.info == nil || c.info.key < 0 {
		return
	}
	entry := c.p.parent
	list, key := entry.field, entry.key
	if c.new.IsValid() {
		want := tree.KeyLeaves(list, key)[c.info.key]
		if got := c.new; !sameKey(got, want) {
			errs.add(c.p.str, fmt.Sprintf("key leaf is %v but the entry's key is %v", keyValue(got), want.Interface()))
		}
		return
	}
	if node, ok, _, err := s.Resolve(root, entry.elems(), false); err == nil && ok && node.Exists() {
		errs.add(c.p.str, "the entry exists but its key leaf is not set")
	}
}

// sameKey compares a key leaf field with the map key's value as ygot's
// checkBasicKeyValue does: an unset pointer never equals a key.
func sameKey(field, key reflect.Value) bool {
	return keyValue(field) == key.Interface()
}

func keyValue(field reflect.Value) any {
	if field.Kind() == reflect.Pointer && !field.IsNil() {
		return field.Elem().Interface()
	}
	return field.Interface()
}

// checkEntry checks the key leaves of a list entry, when a whole tree is
// checked.
func checkEntry(p *dpath, v reflect.Value, errs *violations) {
	list, key := p.field, p.key
	for i, kv := range tree.KeyLeaves(list, key) {
		kf := list.Struct.Keys[i]
		if fv := v.Elem().Field(kf.Index); !sameKey(fv, kv) {
			if fv.Kind() == reflect.Pointer && fv.IsNil() {
				errs.add(p.str+"/"+kf.Name, "the entry exists but its key leaf is not set")
				continue
			}
			errs.add(p.str+"/"+kf.Name, fmt.Sprintf("key leaf is %v but the entry's key is %v", keyValue(fv), kv.Interface()))
		}
	}
}

// checkListSize checks a non-empty list against min- and max-elements.
func checkListSize(path string, f *tree.Field, n int, errs *violations) {
	la := f.Entry.ListAttr
	if uint64(n) < la.MinElements {
		errs.add(path, fmt.Sprintf("list has %d entries, fewer than min-elements %d", n, la.MinElements))
	}
	if la.MaxElements != 0 && uint64(n) > la.MaxElements {
		errs.add(path, fmt.Sprintf("list has %d entries, more than max-elements %d", n, la.MaxElements))
	}
}

// checkChoices checks that a container sets fields of at most one case of
// each of its choices, as ytypes' validateChoice does.
func checkChoices(path string, choices []*yang.Entry, v reflect.Value, errs *violations) {
	gs, ok := v.Interface().(ygot.GoStruct)
	if !ok {
		return
	}
	for _, ch := range choices {
		var selected []string
		for _, cs := range ch.Dir {
			sel, es := ytypes.IsCaseSelected(cs, gs)
			for _, e := range es {
				errs.add(path, e.Error())
			}
			if len(sel) > 0 {
				selected = append(selected, cs.Name)
			}
		}
		if len(selected) > 1 {
			sort.Strings(selected)
			errs.add(path, fmt.Sprintf("multiple cases %v selected for choice %s", selected, ch.Name))
		}
	}
}

// checkStructure checks the list sizes and choices that changes may have
// broken: those of the lists and containers on the changed paths. It costs
// nothing for a schema without such constraints.
func (v *Validator) checkStructure(root ygot.GoStruct, chs []*change, errs *violations) {
	if len(v.bounded) == 0 && len(v.choices) == 0 {
		return
	}
	seen := map[string]bool{}
	for _, c := range chs {
		if c.inUnkeyed {
			continue
		}
		anc := c.p.ancestors()
		for d, a := range anc {
			// a is element d; its parent node is the root or anc[d-1].
			var st *tree.Struct
			switch {
			case d == 0:
				st = v.s.Root
			case anc[d-1].field.Kind == tree.Container:
				st = anc[d-1].field.Struct
			}
			if choices := v.choices[st]; choices != nil {
				at := a.parent
				if !seen[at.str+"/"] {
					seen[at.str+"/"] = true
					if n, ok, _, err := v.s.Resolve(root, at.elems(), false); err == nil && ok && n.Exists() {
						checkChoices(orRoot(at.str), choices, n.Value(), errs)
					}
				}
			}
			if f := a.field; v.bounded[f] {
				lp := a.parent.str + "/" + f.Name
				if seen[lp] {
					continue
				}
				seen[lp] = true
				n, ok, _, err := v.s.Resolve(root, append(a.parent.elems(), &gpb.PathElem{Name: f.Name}), false)
				if err == nil && ok && n.Exists() {
					checkListSize(lp, f, n.Value().Len(), errs)
				}
			}
		}
	}
}

func orRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
