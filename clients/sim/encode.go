package sim

import (
	"encoding/json"
	"reflect"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore/tree"
)

// encodeNode returns the updates that carry a node's data: with PROTO,
// one scalar update per leaf; with JSON or JSON_IETF, one update holding
// the node's JSON (a whole list gives one per entry). keep selects leaves
// (nil keeps all). Paths are full paths from the root.
func encodeNode(sc *tree.Schema, n tree.Node, keep func(*tree.Field) bool, enc gpb.Encoding) ([]*gpb.Update, error) {
	if enc == gpb.Encoding_PROTO {
		return leafUpdates(sc, n, keep)
	}
	ietf := enc == gpb.Encoding_JSON_IETF
	switch {
	case n.IsRoot(), n.IsEntry(), n.Field.Kind == tree.Container:
		return jsonUpdate(sc, n, keep, ietf)
	case n.Field.Kind == tree.List:
		var out []*gpb.Update
		parent := n.Path[:len(n.Path)-1]
		m := n.Value()
		for _, k := range tree.SortedKeys(n.Field, m) {
			entry := tree.Node{Parent: n.Parent, Field: n.Field, Key: k,
				Path: append(append([]*gpb.PathElem{}, parent...), &gpb.PathElem{Name: n.Field.Name, Key: tree.KeyMap(n.Field, k)})}
			ups, err := jsonUpdate(sc, entry, keep, ietf)
			if err != nil {
				return nil, err
			}
			out = append(out, ups...)
		}
		return out, nil
	}
	if keep != nil && !keep(n.Field) {
		return nil, nil
	}
	j, err := n.Field.JSONValue(n.Value(), ietf)
	if err != nil || j == nil {
		return nil, err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	return []*gpb.Update{{Path: &gpb.Path{Elem: n.Path}, Val: jsonValue(b, ietf)}}, nil
}

// leafUpdates returns one update per leaf under n that keep selects.
func leafUpdates(sc *tree.Schema, n tree.Node, keep func(*tree.Field) bool) ([]*gpb.Update, error) {
	var out []*gpb.Update
	var err error
	sc.NodeLeaves(n, func(p []*gpb.PathElem, f *tree.Field, v reflect.Value) {
		if err != nil || keep != nil && !keep(f) {
			return
		}
		var tv *gpb.TypedValue
		if tv, err = f.TypedValue(v); tv != nil {
			out = append(out, &gpb.Update{Path: &gpb.Path{Elem: p}, Val: tv})
		}
	})
	return out, err
}

// jsonUpdate returns the JSON of the root, a container or a list entry,
// with only the leaves keep selects; nothing when none is.
func jsonUpdate(sc *tree.Schema, n tree.Node, keep func(*tree.Field) bool, ietf bool) ([]*gpb.Update, error) {
	if keep != nil {
		var ok bool
		if n, ok = pruned(sc, n, keep); !ok {
			return nil, nil
		}
	}
	module := ""
	if !n.IsRoot() {
		module = n.Field.Module
	}
	b, err := sc.AppendJSON(nil, n.Struct(sc), n.Value(), module, ietf)
	if err != nil {
		return nil, err
	}
	if string(b) == "{}" {
		return nil, nil
	}
	return []*gpb.Update{{Path: &gpb.Path{Elem: n.Path}, Val: jsonValue(b, ietf)}}, nil
}

// pruned returns the node at n's path in a new tree holding only the
// leaves under n that keep selects, or false when there are none. The new
// tree shares leaf values with the element's: it is only read, under the
// element's lock, and dropped.
func pruned(sc *tree.Schema, n tree.Node, keep func(*tree.Field) bool) (tree.Node, bool) {
	root := sc.New()
	found := false
	sc.NodeLeaves(n, func(p []*gpb.PathElem, f *tree.Field, v reflect.Value) {
		if !keep(f) {
			return
		}
		leaf, _, _, err := sc.Resolve(root, p, true)
		if err == nil {
			leaf.Set(v)
			found = true
		}
	})
	if !found {
		return tree.Node{}, false
	}
	if n.IsRoot() {
		return tree.Node{Parent: reflect.ValueOf(root), Path: n.Path}, true
	}
	copyNode, ok, _, err := sc.Resolve(root, n.Path, false)
	return copyNode, ok && err == nil && copyNode.Exists()
}

func jsonValue(b []byte, ietf bool) *gpb.TypedValue {
	if ietf {
		return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: b}}
	}
	return &gpb.TypedValue{Value: &gpb.TypedValue_JsonVal{JsonVal: b}}
}
