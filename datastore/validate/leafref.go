package validate

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/nwmo/nwmo/datastore/tree"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/util"
	"github.com/openconfig/ygot/ygot"
)

// The leafref rules mirror ytypes.ValidateLeafRefData (ygot v0.36.0), which
// is what ΛValidate runs:
//
//   - Every leafref is require-instance: a value must equal some existing
//     target. A source holding its type's zero value without a pointer (an
//     empty union member, a leaf-list element "" or 0) refers to nothing
//     and is always valid; target nodes holding such a value are ignored.
//   - The path is split with ygot's parser: a step takes at most one
//     predicate [key = current()/rel/path] or [key = "literal"]; anything
//     else (two predicates on a step, a bare path value) makes ygot fail for
//     every value of the leaf, and so does it here ("broken").
//   - A predicate's value is the string form (fmt.Sprint) of the one node
//     its path reaches from the source, "" when it reaches none. ygot then
//     looks the list up by that string: "*" is a wildcard, a single string
//     key is compared as a Go value, a union key or one key of several by
//     ygot.KeyValueAsString (a partial match).
//   - Lists without a predicate match every entry; relative paths climb one
//     schema level per "..", a list entry being one level.
//   - Leafrefs in state (config false) subtrees are checked like any other,
//     and so are leaf-list sources (each element must have a target).
//   - Leafrefs inside unions are not checked (ygot only checks leaves whose
//     type is leafref), nor are must and when statements.

// class is one leafref source leaf of the schema, compiled.
type class struct {
	source string // schema path of the source leaf
	field  *tree.Field
	path   string // the leafref path as the model writes it
	// broken is why ygot fails for every value of this leaf; such a class
	// has no target sets.
	broken error
	// anchorLen is how many leading elements of its data path a source
	// shares with its targets: 0 for an absolute path, the source's depth
	// minus the number of ".." for a relative one.
	anchorLen int
	preds     []*pred
	// sets[mask] is the target set looked up when the predicates whose bit
	// is set in mask are wildcards.
	sets []*targetSet
}

// pred is a predicate [key = ...] on a list step of a leafref path.
type pred struct {
	depth  int         // the list's element index in the target's data path
	list   *tree.Field // the list
	key    string      // the key leaf named
	keyIdx int         // its index among the list's keys
	// byString: entries are matched by ygot.KeyValueAsString of the key
	// (a union key, or a partial match on one key of several); otherwise
	// by the Go value of a single string key.
	byString bool
	// literal is the predicate's constant value: a quoted string, or "" when
	// the predicate's path can reach no node. Nil when the value is read
	// from the tree.
	literal *string
	// The value is read from the leaf input, which is up levels above the
	// source and then down through containers. tail are the names that
	// lead from that common ancestor back down to the source.
	up    int
	down  []string
	input string
	tail  []string
}

// targetSet is a set of target nodes that leafrefs are resolved in: all
// the instances of one target schema leaf, grouped by scope — the anchor
// (the data path the source and target share) and the keys predicates bind.
// Classes with the same target, anchor depth and predicate shape share a
// set, so the index counts each target value once per set, not per class.
type targetSet struct {
	target    string        // schema path of the target leaf
	field     *tree.Field   // the target leaf
	steps     []*tree.Field // the schema node of each element of the target's data path
	anchorLen int
	comps     []*pred // the predicates that bind a key, in path order
}

// refKey identifies a target value in a scope: what a source refers to and
// what a target instance provides.
type refKey struct {
	set    *targetSet
	anchor string
	comps  [maxPreds]any
	value  any
}

// maxPreds bounds the predicates of one leafref path (OpenConfig uses at
// most one that ygot can parse).
const maxPreds = 2

// errUnsupported marks leafrefs that ygot resolves in a way that depends on
// the data in ways this package does not mirror; New refuses such schemas
// rather than validating them differently from ygot.
var errUnsupported = errors.New("unsupported leafref")

// compileClass compiles the leafref of the source leaf src.
func (v *Validator) compileClass(src *leafInfo) (*class, error) {
	e := src.field.Entry
	c := &class{source: src.schema, field: src.field, path: e.Type.Path}
	unsupported := func(format string, a ...any) error {
		return fmt.Errorf("%w %s -> %s: %s", errUnsupported, c.source, c.path, fmt.Sprintf(format, a...))
	}
	if src.field.Kind == tree.Leaf && src.field.Type.Kind() == reflect.Slice {
		return nil, unsupported("binary leafrefs are not supported")
	}
	elems, err := parseLeafrefPath(c.path)
	if err != nil {
		c.broken = err
		return c, nil
	}
	steps := src.steps
	depth := len(steps)
	if len(elems) > 0 && elems[0].name == "" {
		c.anchorLen = 0
		elems = elems[1:]
	} else {
		up := 0
		for up < len(elems) && elems[up].name == ".." {
			up++
		}
		switch {
		case up == 0:
			// ygot resolves a relative path without ".." below the leaf
			// itself, which fails.
			c.broken = fmt.Errorf("path %s does not start at a container", c.path)
			return c, nil
		case up > depth:
			c.broken = fmt.Errorf("path %s climbs above the root", c.path)
			return c, nil
		}
		for _, f := range steps[depth-up : depth-1] {
			if f.Kind == tree.UnkeyedList {
				// ygot counts an unkeyed list as two levels.
				return nil, unsupported("relative path leaves an unkeyed list")
			}
		}
		c.anchorLen = depth - up
		elems = elems[up:]
	}
	st := v.s.Root
	if c.anchorLen > 0 {
		st = steps[c.anchorLen-1].Struct
	}
	tsteps := append([]*tree.Field(nil), steps[:c.anchorLen]...)
	for i, pe := range elems {
		if st == nil {
			return nil, unsupported("path goes below a leaf")
		}
		f := st.Child(pe.name)
		if f == nil {
			return nil, unsupported("no schema node %q", pe.name)
		}
		if f.Kind == tree.UnkeyedList {
			return nil, unsupported("path crosses an unkeyed list, which ygot cannot look into")
		}
		if (f.Kind == tree.Leaf || f.Kind == tree.LeafList) != (i == len(elems)-1) {
			return nil, unsupported("path does not end at a leaf")
		}
		tsteps = append(tsteps, f)
		if pe.key != "" {
			p, err := v.compilePred(c, src, f, len(tsteps)-1, pe)
			if err != nil {
				return nil, unsupported("%v", err)
			}
			c.preds = append(c.preds, p)
		}
		st = f.Struct
	}
	if len(elems) == 0 {
		return nil, unsupported("path does not end at a leaf")
	}
	if len(c.preds) > maxPreds {
		return nil, unsupported("more than %d predicates", maxPreds)
	}
	target := tsteps[len(tsteps)-1]
	if target.Kind == tree.Leaf && target.Type.Kind() == reflect.Slice {
		return nil, unsupported("binary leafref targets are not supported")
	}
	var tpath strings.Builder
	for _, f := range tsteps {
		tpath.WriteString("/" + f.Name)
	}
	for mask := 0; mask < 1<<len(c.preds); mask++ {
		var comps []*pred
		sig := fmt.Sprintf("%s|%d", tpath.String(), c.anchorLen)
		for i, p := range c.preds {
			if mask&(1<<i) == 0 {
				comps = append(comps, p)
				sig += fmt.Sprintf("|%d:%d:%t", p.depth, p.keyIdx, p.byString)
			}
		}
		ts := v.sets[sig]
		if ts == nil {
			ts = &targetSet{target: tpath.String(), field: target, steps: tsteps, anchorLen: c.anchorLen, comps: comps}
			v.sets[sig] = ts
			ti := v.leaves[ts.target]
			ti.targets = append(ti.targets, ts)
		}
		c.sets = append(c.sets, ts)
	}
	return c, nil
}

// compilePred compiles the predicate on list, the element depth of the
// target path.
func (v *Validator) compilePred(c *class, src *leafInfo, list *tree.Field, depth int, pe leafrefElem) (*pred, error) {
	if list.Kind != tree.List {
		return nil, fmt.Errorf("predicate on %s, which is not a list", list.Name)
	}
	p := &pred{depth: depth, list: list, key: pe.key, keyIdx: -1}
	for i, k := range list.Struct.Keys {
		if k.Name == pe.key {
			p.keyIdx = i
		}
	}
	if p.keyIdx < 0 {
		return nil, fmt.Errorf("predicate on %s, which is not a key of %s", pe.key, list.Name)
	}
	kt := list.Type.Key()
	p.byString = len(list.Struct.Keys) > 1 || kt.Kind() == reflect.Interface
	if !p.byString && kt.Kind() != reflect.String {
		// ygot converts the predicate's string to the key type and fails
		// when it cannot, but only when the list has entries.
		return nil, fmt.Errorf("predicate on %s, whose key is not a string", list.Name)
	}
	if isInQuotes(pe.val) {
		lit := pe.val[1 : len(pe.val)-1]
		p.literal = &lit
		return p, nil
	}
	names := strings.Split(strings.TrimPrefix(pe.val, "current()/"), "/")
	for p.up < len(names) && names[p.up] == ".." {
		p.up++
	}
	p.down = names[p.up:]
	steps := src.steps
	nothing := ""
	if p.up == 0 || p.up > len(steps) || len(p.down) == 0 {
		// ygot finds no node and ignores the error: the value is "".
		p.literal = &nothing
		return p, nil
	}
	for _, f := range steps[len(steps)-p.up : len(steps)-1] {
		if f.Kind == tree.List || f.Kind == tree.UnkeyedList {
			return nil, fmt.Errorf("predicate %s is read across list %s", pe.val, f.Name)
		}
	}
	st := v.s.Root
	input := ""
	for _, f := range steps[:len(steps)-p.up] {
		input += "/" + f.Name
		st = f.Struct
	}
	for i, name := range p.down {
		var f *tree.Field
		if st != nil && !strings.Contains(name, ":") {
			f = st.Child(name)
		}
		if f == nil || f.Kind == tree.UnkeyedList {
			p.literal = &nothing
			return p, nil
		}
		switch {
		case f.Kind == tree.List:
			return nil, fmt.Errorf("predicate %s crosses list %s", pe.val, f.Name)
		case (f.Kind == tree.Leaf || f.Kind == tree.LeafList) != (i == len(p.down)-1):
			return nil, fmt.Errorf("predicate %s does not lead to a leaf", pe.val)
		}
		input += "/" + name
		st = f.Struct
	}
	p.input = input
	for _, f := range steps[len(steps)-p.up:] {
		p.tail = append(p.tail, f.Name)
	}
	in := v.leaves[input]
	in.preds = append(in.preds, predUse{c: c, i: len(c.preds)})
	return p, nil
}

// predUse says that a leaf is the input of predicate i of class c.
type predUse struct {
	c *class
	i int
}

// sourceOf returns the path of the source whose predicate reads the input
// leaf at p.
func (u predUse) sourceOf(s *tree.Schema, p *dpath) *dpath {
	pr := u.c.preds[u.i]
	q := p.at(p.depth - len(pr.down))
	for _, name := range pr.tail {
		q = q.child(q.structOf(s).Child(name), reflect.Value{}, nil)
	}
	return q
}

// inputOf returns the path of the input leaf of predicate pr for the source
// at q.
func (pr *pred) inputOf(q *dpath) string {
	return q.prefix(q.depth-pr.up) + "/" + strings.Join(pr.down, "/")
}

// predString is the string ygot makes of a predicate's input node.
func predString(v reflect.Value) (string, bool) {
	if !v.IsValid() || util.IsValueNil(v.Interface()) {
		return "", false
	}
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return fmt.Sprint(v), true
}

// refs returns the keys the values of a source refer to, given the source's
// path and the string values of its predicates.
func (c *class) refs(q *dpath, preds []string, vals []any) []refKey {
	if len(vals) == 0 {
		return nil
	}
	var comps [maxPreds]any
	mask, n := 0, 0
	for i, p := range c.preds {
		s := preds[i]
		if s == "*" {
			mask |= 1 << i
			continue
		}
		if p.byString {
			comps[n] = s
		} else {
			comps[n] = reflect.ValueOf(s).Convert(p.list.Type.Key()).Interface()
		}
		n++
	}
	set, anchor := c.sets[mask], q.prefix(c.anchorLen)
	keys := make([]refKey, len(vals))
	for i, v := range vals {
		keys[i] = refKey{set: set, anchor: anchor, comps: comps, value: v}
	}
	return keys
}

// key returns the key a target instance at p with value val provides.
func (ts *targetSet) key(p *dpath, val any) refKey {
	k := refKey{set: ts, anchor: p.prefix(ts.anchorLen), value: val}
	for i, pr := range ts.comps {
		k.comps[i] = pr.targetComp(p.at(pr.depth + 1).key)
	}
	return k
}

// targetComp is what a list entry with map key key offers to predicate pr.
func (pr *pred) targetComp(key reflect.Value) any {
	if !pr.byString {
		return key.Interface()
	}
	kv := key
	if len(pr.list.Struct.Keys) > 1 {
		kv = tree.KeyLeaves(pr.list, key)[pr.keyIdx]
	}
	s, err := ygot.KeyValueAsString(kv.Interface())
	if err != nil {
		// ygot fails the lookup; no predicate string is ever "\x00".
		return "\x00" + err.Error()
	}
	return s
}

// sourceVals are the values a leafref source refers by: one for a leaf, one
// per element for a leaf-list, none for a zero value held without a
// pointer (ygot's IsValueNilOrDefault).
func sourceVals(f *tree.Field, v reflect.Value) []any {
	if !v.IsValid() {
		return nil
	}
	if f.Kind == tree.LeafList {
		var out []any
		for i := 0; i < v.Len(); i++ {
			if x := v.Index(i).Interface(); !util.IsValueNilOrDefault(x) {
				out = append(out, hashable(deref(x)))
			}
		}
		return out
	}
	x := v.Interface()
	if util.IsValueNilOrDefault(x) {
		return nil
	}
	return []any{hashable(deref(x))}
}

// targetVals are the values a target node offers, as ygot's matchesNodes
// compares them: a scalar, or every element of a leaf-list.
func targetVals(v reflect.Value) []any {
	if !v.IsValid() {
		return nil
	}
	x := v.Interface()
	if util.IsValueNilOrDefault(x) {
		return nil
	}
	ov := reflect.ValueOf(x)
	switch {
	case util.IsValueScalar(ov):
		return []any{hashable(deref(x))}
	case util.IsValueSlice(ov):
		out := make([]any, ov.Len())
		for i := range out {
			out[i] = hashable(deref(ov.Index(i).Interface()))
		}
		return out
	}
	return nil
}

// deref follows one pointer, as util.DeepEqualDerefPtrs does.
func deref(x any) any {
	if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && !v.IsNil() {
		return v.Elem().Interface()
	}
	return x
}

// unhashable stands for a value that cannot be a map key (a binary leaf),
// by its type and contents.
type unhashable struct {
	t reflect.Type
	s string
}

func hashable(x any) any {
	if x == nil || reflect.TypeOf(x).Comparable() {
		return x
	}
	return unhashable{reflect.TypeOf(x), fmt.Sprintf("%#v", x)}
}

// describe spells out the target a key stands for, for messages:
// /interfaces/interface[name=eth0] for a list key,
// /acl/acl-sets/acl-set[name=a]/config/type = ACL_IPV4 otherwise.
func (k refKey) describe() string {
	ts := k.set
	var b strings.Builder
	b.WriteString(k.anchor)
	n := len(ts.steps)
	keyTarget := n >= 2 && isKeyOf(ts.steps[n-2], ts.field)
	for _, pr := range ts.comps {
		if pr.depth == n-2 && pr.key == ts.field.Name {
			// The predicate names the entry already.
			keyTarget = false
		}
	}
	for d := ts.anchorLen; d < n; d++ {
		f := ts.steps[d]
		if d == n-1 && keyTarget {
			break
		}
		keys := map[string]string{}
		for i, pr := range ts.comps {
			if pr.depth == d {
				keys[pr.key] = fmt.Sprint(k.comps[i])
			}
		}
		if d == n-2 && keyTarget {
			keys[ts.field.Name] = valueString(k.value)
		}
		if len(keys) == 0 {
			keys = nil
		}
		b.WriteString(formatElem(&gpb.PathElem{Name: f.Name, Key: keys}))
	}
	if keyTarget {
		return b.String()
	}
	return b.String() + " = " + valueString(k.value)
}

// valueString writes a leaf value for messages: enums by name.
func valueString(x any) string {
	if e, ok := x.(ygot.GoEnum); ok {
		if s, err := ygot.EnumName(e); err == nil {
			return s
		}
	}
	return fmt.Sprint(x)
}

// isKeyOf reports whether leaf f is a key of the entries of list l.
func isKeyOf(l, f *tree.Field) bool {
	if l.Kind != tree.List {
		return false
	}
	for _, k := range l.Struct.Keys {
		if k == f {
			return true
		}
	}
	return false
}

// leafrefElem is one step of a leafref path: a name and at most one
// predicate.
type leafrefElem struct {
	name, key, val string
}

// parseLeafrefPath splits a leafref path as ytypes' leafRefToGNMIPath does;
// an absolute path starts with an element named "". Where ygot's parser
// fails, so does this one, and ygot then rejects every value of the leaf.
func parseLeafrefPath(path string) ([]leafrefElem, error) {
	var out []leafrefElem
	for _, p := range util.SplitPath(path) {
		name, k, v, err := extractKeyValue(p)
		if err != nil {
			return nil, err
		}
		out = append(out, leafrefElem{name: name, key: k, val: v})
	}
	return out, nil
}

// The functions below are ytypes' own (leafref.go, unexported there), so
// that paths parse exactly as ygot parses them.

func extractKeyValue(p string) (prefix string, k, v string, err error) {
	if p == "" {
		return "", "", "", nil
	}
	isKV, err := isKeyValue(p)
	if err != nil {
		return
	}
	if !isKV {
		return util.StripModulePrefix(p), "", "", nil
	}
	p1 := splitUnescapedUnquoted(p, '[')
	p2 := splitUnescapedUnquoted(p1[1], ']')
	kv := splitUnescapedUnquoted(p2[0], '=')
	if len(kv) != 2 {
		return "", "", "", fmt.Errorf("bad kv string %s", kv)
	}
	k = strings.TrimSpace(kv[0])
	v = strings.TrimSpace(kv[1])
	if !strings.HasPrefix(v, "current()/") && !isInQuotes(v) {
		return "", "", "", fmt.Errorf("bad kv string %s: value must be in quotes or begin with current()/", p2[0])
	}
	return util.StripModulePrefix(p1[0]), util.StripModulePrefix(k), util.StripModulePrefix(v), nil
}

func isKeyValue(p string) (bool, error) {
	p1 := splitUnescapedUnquoted(p, '[')
	l1 := len(p1)
	pv := splitUnescapedUnquoted(p, ']')
	l2 := len(pv)
	switch {
	case l1 == 0 || l2 == 0:
		return false, fmt.Errorf("empty path element (%s)", p)
	case l1 == 1 && l2 == 1:
		return false, nil
	case l1 > 2 || l2 > 2 || l1 == 1 && l2 > 1 || l2 == 1 && l1 > 1:
		return false, fmt.Errorf("malformed path element %s ", p1)
	case pv[1] != "":
		return false, fmt.Errorf("trailing chars after [...]: %s", p)
	}
	return true, nil
}

func splitUnescapedUnquoted(source string, splitCh rune) []string {
	var prev rune
	var out []string
	var w bytes.Buffer
	doCompare := true
	for _, r := range source {
		if r == '"' && prev != '\\' {
			doCompare = !doCompare
		}
		if doCompare && r == splitCh && prev != '\\' {
			out = append(out, w.String())
			w.Reset()
		} else {
			w.WriteRune(r)
		}
		prev = r
	}
	if w.Len() != 0 {
		out = append(out, w.String())
	}
	if prev == splitCh {
		out = append(out, "")
	}
	return out
}

func isInQuotes(s string) bool {
	return strings.HasPrefix(s, "\"") && strings.HasSuffix(s, "\"")
}
