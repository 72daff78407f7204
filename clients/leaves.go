package clients

import (
	"reflect"
	"sort"
	"strings"
	"sync"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore/tree"
)

// This file compares configurations leaf by leaf, which is how drift is
// counted and repaired and how a change is undone on an element that has
// no confirmed commit of its own.

// leaf is one configuration leaf with its value in canonical form (as
// tree.Field.TypedValue gives it), so that values compare equal whatever
// encoding the element used.
type leaf struct {
	path []*gpb.PathElem
	f    *tree.Field
	val  *gpb.TypedValue
}

// leaves is a configuration by tree.FormatPath of each leaf.
type leaves map[string]leaf

// configLeaves returns the configuration leaves of a tree.
func configLeaves(sc *tree.Schema, root ygot.GoStruct) (leaves, error) {
	out := leaves{}
	var err error
	sc.Leaves(sc.Root, reflect.ValueOf(root), nil, func(p []*gpb.PathElem, f *tree.Field, v reflect.Value) {
		if !f.Config || err != nil {
			return
		}
		var tv *gpb.TypedValue
		if tv, err = f.TypedValue(v); tv != nil {
			out[tree.FormatPath(p)] = leaf{path: p, f: f, val: tv}
		}
	})
	return out, err
}

// running returns an element's running configuration.
func (m *Manager) running(name string) (leaves, error) {
	var out leaves
	err := m.store.View(name, func(root ygot.GoStruct, sc *tree.Schema) error {
		var err error
		out, err = configLeaves(sc, root)
		return err
	})
	return out, err
}

// decode returns the configuration leaves that an element's notifications
// carry (scalar leaves or JSON subtrees). What nwmo's models do not have,
// and state, is left out: nwmo neither compares nor pushes it.
func (m *Manager) decode(ns []*gpb.Notification) (leaves, error) {
	sc := m.schema
	root := sc.New()
	ed := sc.NewEdit(root)
	for _, n := range ns {
		if o := n.GetPrefix().GetOrigin(); o != "" && o != "openconfig" {
			continue
		}
		prefix := n.GetPrefix().GetElem()
		for _, u := range n.GetUpdate() {
			p := joinPath(prefix, u.GetPath().GetElem())
			f := sc.FieldAt(p)
			if len(p) > 0 && (f == nil || f.Kind == tree.Leaf && !f.Config) {
				continue
			}
			if err := ed.Apply(tree.Op{Kind: tree.Update, Path: p, Value: u.GetVal()}); err != nil {
				m.log.Debug("leaving out a value nwmo's models do not accept", "path", tree.FormatPath(p), "err", err)
			}
		}
	}
	return configLeaves(sc, root)
}

// drift is how an element's configuration differs from running, and the
// changes that bring it back.
type drift struct {
	count   int               // leaf paths that differ
	deletes [][]*gpb.PathElem // what the element has and running has not
	updates []leaf            // running's values the element lacks
}

// compareLeaves compares an element's configuration with running. A leaf
// present on one side only counts as equal when it holds its schema
// default: devices often report defaults they were never given.
func compareLeaves(running, element leaves) drift {
	var d drift
	var gone []leaf
	for k, r := range running {
		el, ok := element[k]
		switch {
		case ok && proto.Equal(el.val, r.val):
		case !ok && isDefault(r):
		default:
			d.count++
			d.updates = append(d.updates, r)
		}
	}
	for k, el := range element {
		if _, ok := running[k]; !ok && !isDefault(el) {
			d.count++
			gone = append(gone, el)
		}
	}
	sortLeaves(d.updates)
	sortLeaves(gone)
	d.deletes = deletePaths(gone)
	return d
}

// request is the SetRequest that repairs the drift.
func (d drift) request() *gpb.SetRequest {
	req := &gpb.SetRequest{}
	for _, p := range d.deletes {
		req.Delete = append(req.Delete, &gpb.Path{Elem: p})
	}
	for _, l := range d.updates {
		req.Update = append(req.Update, &gpb.Update{Path: &gpb.Path{Elem: l.path}, Val: l.val})
	}
	return req
}

// deletePaths turns leaves to remove into delete paths: a list entry whose
// key leaf goes is deleted whole (a key leaf cannot be deleted alone), and
// leaves under it are covered by that.
func deletePaths(gone []leaf) [][]*gpb.PathElem {
	var out [][]*gpb.PathElem
	var entries []string
	for _, l := range gone {
		if p := l.path; isKeyLeaf(p) {
			out = append(out, p[:len(p)-1])
			entries = append(entries, tree.FormatPath(p[:len(p)-1])+"/")
		}
	}
	for _, l := range gone {
		if isKeyLeaf(l.path) || underAny(tree.FormatPath(l.path), entries) {
			continue
		}
		out = append(out, l.path)
	}
	return out
}

// isKeyLeaf reports whether a path ends at the key leaf of its list entry.
func isKeyLeaf(p []*gpb.PathElem) bool {
	l := len(p)
	if l < 2 {
		return false
	}
	_, ok := p[l-2].GetKey()[p[l-1].GetName()]
	return ok
}

func underAny(path string, prefixes []string) bool {
	for _, pre := range prefixes {
		if strings.HasPrefix(path, pre) {
			return true
		}
	}
	return false
}

func sortLeaves(ls []leaf) {
	sort.Slice(ls, func(i, j int) bool { return tree.FormatPath(ls[i].path) < tree.FormatPath(ls[j].path) })
}

// defaults caches the default value of each leaf, nil for none.
var defaults sync.Map // *tree.Field -> *gpb.TypedValue

func isDefault(l leaf) bool {
	d := defaultOf(l.f)
	return d != nil && proto.Equal(d, l.val)
}

func defaultOf(f *tree.Field) *gpb.TypedValue {
	if v, ok := defaults.Load(f); ok {
		return v.(*gpb.TypedValue)
	}
	var tv *gpb.TypedValue
	if f.Kind == tree.Leaf && f.Entry != nil {
		if s, ok := f.Entry.SingleDefaultValue(); ok {
			if v, err := f.FromTypedValue(&gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: s}}); err == nil {
				tv, _ = f.TypedValue(v)
			}
		}
	}
	defaults.Store(f, tv)
	return tv
}

// readPaths are the paths of a change whose values on the element must be
// read before the change is applied, to undo it without a confirmed
// commit of the element's own.
func readPaths(req *gpb.SetRequest) [][]*gpb.PathElem {
	var out [][]*gpb.PathElem
	for _, p := range req.GetDelete() {
		out = append(out, p.GetElem())
	}
	for _, u := range req.GetReplace() {
		out = append(out, u.GetPath().GetElem())
	}
	for _, u := range req.GetUpdate() {
		out = append(out, u.GetPath().GetElem())
	}
	return out
}

// inverse is the SetRequest that undoes req on an element whose values
// under req's paths were old before it: every old value is written back,
// and what req created is deleted.
func inverse(req *gpb.SetRequest, old leaves) *gpb.SetRequest {
	var created []leaf
	for _, u := range req.GetUpdate() {
		p := u.GetPath().GetElem()
		if _, ok := old[tree.FormatPath(p)]; !ok {
			created = append(created, leaf{path: p})
		}
	}
	for _, u := range req.GetReplace() {
		created = append(created, leaf{path: u.GetPath().GetElem()})
	}
	sortLeaves(created)
	restore := make([]leaf, 0, len(old))
	for _, l := range old {
		restore = append(restore, l)
	}
	sortLeaves(restore)
	return drift{deletes: deletePaths(created), updates: restore}.request()
}

func joinPath(prefix, p []*gpb.PathElem) []*gpb.PathElem {
	if len(prefix) == 0 {
		return p
	}
	return append(append(make([]*gpb.PathElem, 0, len(prefix)+len(p)), prefix...), p...)
}
