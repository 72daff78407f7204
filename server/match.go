package server

import (
	"reflect"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/tree"
)

// match calls fn for every existing node a checked path matches, as
// tree.Match does. A path holding "..." inside it (not trailing: those are
// trimmed) is matched here: its concrete head is matched, and the nodes
// under it are found from their leaves, each the shortest head of a leaf
// path the whole pattern matches. tree.Match fails on such a pattern when
// a level it skips lacks the name that follows "...".
func match(sc *tree.Schema, root ygot.GoStruct, path []*gpb.PathElem, fn func(tree.Node) error) error {
	at := -1
	for i, e := range path {
		if e.GetName() == anyLevel {
			at = i
			break
		}
	}
	if at < 0 {
		return sc.Match(root, path, fn)
	}
	seen := map[string]bool{}
	return sc.Match(root, path[:at], func(top tree.Node) error {
		var err error
		sc.NodeLeaves(top, func(p []*gpb.PathElem, _ *tree.Field, _ reflect.Value) {
			if err != nil {
				return
			}
			k := matchLen(path, p)
			if k < 0 {
				return
			}
			key := tree.FormatPath(p[:k])
			if seen[key] {
				return
			}
			seen[key] = true
			n, ok, _, rerr := sc.Resolve(root, p[:k], false)
			if rerr != nil || !ok {
				err = rerr
				return
			}
			err = fn(n)
		})
		return err
	})
}
