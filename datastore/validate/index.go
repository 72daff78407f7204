package validate

import (
	"maps"
	"reflect"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/openconfig/ygot/ygot"
)

// Index is what the validator keeps of one tree so that a change is
// checked in time proportional to its size: for every target set and
// scope, how many instances hold each value, and which sources refer to
// each. Removing the last target a source refers to is then caught by one
// map lookup, without scanning the tree for references.
//
// An Index is not safe for concurrent Apply; Check and Clone only read it.
type Index struct {
	v *Validator
	// targets counts the target values: instances of target leaves, times
	// elements for leaf-lists.
	targets map[refKey]int32
	// refs lists, for each key, the path of every source value referring
	// to it (a path twice for a leaf-list holding a value twice). The
	// slices are never modified in place, so that clones can share them.
	refs map[refKey][]string
	// srcVals are the values of the sources of leafrefs with predicates,
	// by path: when a predicate's input changes, the source is resolved
	// again with its unchanged value.
	srcVals map[string][]any
	// predVals are the values (as ygot spells them) of predicate inputs.
	predVals map[string]string
}

func (v *Validator) newIndex() *Index {
	return &Index{
		v:        v,
		targets:  map[refKey]int32{},
		refs:     map[refKey][]string{},
		srcVals:  map[string][]any{},
		predVals: map[string]string{},
	}
}

// NewIndex checks a whole tree and builds its index, in time proportional
// to the size of the tree. It fails, with an error wrapping ErrInvalid, if
// the tree is not valid.
func (v *Validator) NewIndex(root ygot.GoStruct) (*Index, error) {
	ix := v.newIndex()
	var errs violations
	rv := reflect.ValueOf(root)
	if cs := v.choices[v.s.Root]; cs != nil {
		checkChoices("/", cs, rv, &errs)
	}
	var chs []*change
	walk(v.s.Root, rv, rootPath, &visitor{
		leaf: func(at *dpath, f *tree.Field, val reflect.Value) {
			info := v.leafInfo(at, f)
			if reason := info.checkValue(val); reason != "" {
				errs.add(at.str+"/"+f.Name, reason)
			}
			if info.leafref() || f.Kind == tree.UnkeyedList {
				chs = append(chs, &change{p: at.child(f, reflect.Value{}, nil), info: info, new: val})
			}
		},
		entry: func(p *dpath, val reflect.Value) { checkEntry(p, val, &errs) },
		container: func(p *dpath, st *tree.Struct, val reflect.Value) {
			if cs := v.choices[st]; cs != nil {
				checkChoices(p.str, cs, val, &errs)
			}
		},
		list: func(at *dpath, f *tree.Field, m reflect.Value) {
			if v.bounded[f] {
				checkListSize(at.str+"/"+f.Name, f, m.Len(), &errs)
			}
		},
	})
	chs = v.expandUnkeyed(chs)
	d := ix.delta(chs, &errs)
	ix.verify(d, &errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	ix.merge(d)
	return ix, nil
}

// Check reports whether root, already edited in place, is valid, given the
// leaf changes of the edit (as tree.Edit.Changes returns them) and ix, the
// index of the tree before the edit. The error wraps ErrInvalid and names
// every offending path. Check does not modify ix; its cost grows with the
// number of changes, not with the size of the tree.
func (ix *Index) Check(root ygot.GoStruct, changes []tree.LeafChange) error {
	_, err := ix.Prepare(root, changes)
	return err
}

// Prepare is Check, and returns for a valid edit what it changes in the
// index, to record with Prepared.Apply once the edit is committed: the
// edit's changes are worked out once, not again for Apply.
func (ix *Index) Prepare(root ygot.GoStruct, changes []tree.LeafChange) (*Prepared, error) {
	v := ix.v
	var errs violations
	chs := v.normalize(changes, &errs)
	for _, c := range chs {
		checkValue(c, &errs)
		checkKey(root, v.s, c, &errs)
	}
	v.checkStructure(root, chs, &errs)
	d := ix.delta(chs, &errs)
	ix.verify(d, &errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return &Prepared{ix: ix, d: d}, nil
}

// Prepared is a valid edit's effect on the index it was checked against.
type Prepared struct {
	ix *Index
	d  *delta
}

// Apply records the edit in the index. The index must not have changed
// since Prepare; the tree may have (the effect holds values, not
// references into it).
func (p *Prepared) Apply() { p.ix.merge(p.d) }

// Apply records committed changes in the index: those of an edit that
// Check accepted, before the tree is edited again (the new values of
// changes may be the tree's own fields).
func (ix *Index) Apply(changes []tree.LeafChange) {
	var discard violations
	ix.merge(ix.delta(ix.v.normalize(changes, &discard), &discard))
}

// Clone returns an independent copy of the index, in time proportional to
// its number of entries (the slices it holds are shared: they are never
// modified in place).
func (ix *Index) Clone() *Index {
	return &Index{
		v:        ix.v,
		targets:  maps.Clone(ix.targets),
		refs:     maps.Clone(ix.refs),
		srcVals:  maps.Clone(ix.srcVals),
		predVals: maps.Clone(ix.predVals),
	}
}

// delta is the effect of a set of changes on an index.
type delta struct {
	targets map[refKey]int32
	// gone names, for each key that lost target values, a node that held
	// one, for messages.
	gone             map[refKey]string
	refsAdd, refsDel map[refKey][]string
	// added are the references that did not exist before: each must find
	// a target.
	added    []holder
	srcVals  map[string][]any   // nil: the source is gone
	predVals map[string]*string // nil: the input is gone
}

type holder struct {
	k    refKey
	path string
}

// dirtySource is a leafref source to resolve again: its value changed
// (ch), or the input of one of its predicates did.
type dirtySource struct {
	c  *class
	p  *dpath
	ch *change
}

// delta computes the effect of chs on ix without modifying it, adding to
// errs what it finds wrong on the way (values of broken leafrefs).
func (ix *Index) delta(chs []*change, errs *violations) *delta {
	d := &delta{
		targets:  map[refKey]int32{},
		gone:     map[refKey]string{},
		refsAdd:  map[refKey][]string{},
		refsDel:  map[refKey][]string{},
		srcVals:  map[string][]any{},
		predVals: map[string]*string{},
	}
	dirty := map[string]*dirtySource{}
	var order []*dirtySource
	mark := func(c *class, p *dpath, ch *change) {
		if ds := dirty[p.str]; ds != nil {
			if ch != nil {
				ds.ch = ch
			}
			return
		}
		ds := &dirtySource{c: c, p: p, ch: ch}
		dirty[p.str] = ds
		order = append(order, ds)
	}
	for _, c := range chs {
		info := c.info
		if info == nil {
			continue
		}
		for _, ts := range info.targets {
			for _, val := range targetVals(c.old) {
				k := ts.key(c.p, val)
				d.targets[k]--
				if _, ok := d.gone[k]; !ok {
					d.gone[k] = targetNode(c)
				}
			}
			for _, val := range targetVals(c.new) {
				d.targets[ts.key(c.p, val)]++
			}
		}
		if len(info.preds) > 0 {
			if s, ok := predString(c.new); ok {
				d.predVals[c.p.str] = &s
			} else {
				d.predVals[c.p.str] = nil
			}
			for _, u := range info.preds {
				mark(u.c, u.sourceOf(ix.v.s, c.p), nil)
			}
		}
		if info.source != nil {
			mark(info.source, c.p, c)
		}
	}
	for _, ds := range order {
		ix.resolve(d, ds, errs)
	}
	return d
}

// targetNode is how a target instance is named in messages: the entry for
// a list key, the leaf otherwise.
func targetNode(c *change) string {
	if c.info.key >= 0 {
		return c.p.parent.str
	}
	return c.p.str
}

// resolve records in d how the references of a dirty source change.
func (ix *Index) resolve(d *delta, ds *dirtySource, errs *violations) {
	c, q := ds.c, ds.p
	var oldVals, newVals []any
	if ds.ch != nil {
		if c.broken != nil {
			if ds.ch.new.IsValid() {
				errs.add(q.str, "leafref "+c.path+": "+c.broken.Error())
			}
			return
		}
		oldVals, newVals = sourceVals(c.field, ds.ch.old), sourceVals(c.field, ds.ch.new)
		if len(c.preds) > 0 {
			d.srcVals[q.str] = newVals
		}
	} else {
		oldVals = ix.srcVals[q.str]
		newVals = oldVals
	}
	if len(oldVals) == 0 && len(newVals) == 0 {
		return
	}
	oldPreds := make([]string, len(c.preds))
	newPreds := make([]string, len(c.preds))
	for i, p := range c.preds {
		if p.literal != nil {
			oldPreds[i], newPreds[i] = *p.literal, *p.literal
			continue
		}
		in := p.inputOf(q)
		oldPreds[i] = ix.predVals[in]
		newPreds[i] = oldPreds[i]
		if s, ok := d.predVals[in]; ok {
			newPreds[i] = ""
			if s != nil {
				newPreds[i] = *s
			}
		}
	}
	oldRefs, newRefs := c.refs(q, oldPreds, oldVals), c.refs(q, newPreds, newVals)
	// The references removed and added, as multisets: most sources hold
	// one value, so this is a comparison or two.
	for _, k := range oldRefs {
		if i := indexOf(newRefs, k); i >= 0 {
			newRefs = append(newRefs[:i:i], newRefs[i+1:]...)
			continue
		}
		d.refsDel[k] = append(d.refsDel[k], q.str)
	}
	for _, k := range newRefs {
		d.refsAdd[k] = append(d.refsAdd[k], q.str)
		d.added = append(d.added, holder{k, q.str})
	}
}

func indexOf(keys []refKey, k refKey) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return -1
}

// verify adds to errs the references of d that find no target, and the
// targets d removes that are still referenced.
func (ix *Index) verify(d *delta, errs *violations) {
	for _, h := range d.added {
		if ix.targets[h.k]+d.targets[h.k] <= 0 {
			errs.add(h.path, "leafref: no "+h.k.describe())
		}
	}
	for k, n := range d.targets {
		if n >= 0 || ix.targets[k]+n > 0 {
			continue
		}
		if h := ix.holderAfter(d, k); h != "" {
			errs.add(d.gone[k], "still referenced by "+h)
		}
	}
}

// holderAfter returns a source that refers to k after d, preferring one
// that did before, and the first in path order so that messages do not
// depend on map order.
func (ix *Index) holderAfter(d *delta, k refKey) string {
	removed := map[string]int{}
	for _, p := range d.refsDel[k] {
		removed[p]++
	}
	first := ""
	for _, p := range ix.refs[k] {
		if removed[p] > 0 {
			removed[p]--
			continue
		}
		if first == "" || p < first {
			first = p
		}
	}
	if first != "" {
		return first
	}
	for _, p := range d.refsAdd[k] {
		if first == "" || p < first {
			first = p
		}
	}
	return first
}

// merge applies d to ix.
func (ix *Index) merge(d *delta) {
	for k, n := range d.targets {
		if n == 0 {
			continue
		}
		if t := ix.targets[k] + n; t > 0 {
			ix.targets[k] = t
		} else {
			delete(ix.targets, k)
		}
	}
	for k, dels := range d.refsDel {
		ix.refs[k] = without(ix.refs[k], dels)
	}
	for k, adds := range d.refsAdd {
		old := ix.refs[k]
		ix.refs[k] = append(append(make([]string, 0, len(old)+len(adds)), old...), adds...)
	}
	for k := range d.refsDel {
		if len(ix.refs[k]) == 0 {
			delete(ix.refs, k)
		}
	}
	for p, vals := range d.srcVals {
		if len(vals) == 0 {
			delete(ix.srcVals, p)
		} else {
			ix.srcVals[p] = vals
		}
	}
	for p, s := range d.predVals {
		if s == nil {
			delete(ix.predVals, p)
		} else {
			ix.predVals[p] = *s
		}
	}
}

// without returns a new slice: paths less one occurrence of each of dels.
func without(paths, dels []string) []string {
	removed := make(map[string]int, len(dels))
	for _, p := range dels {
		removed[p]++
	}
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if removed[p] > 0 {
			removed[p]--
			continue
		}
		out = append(out, p)
	}
	return out
}
