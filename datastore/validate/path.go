package validate

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nwmo/nwmo/datastore/tree"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// dpath is a data path in the one spelling the index keys on: element
// names without module prefixes and keys as tree.KeyMap writes them. The
// paths of an edit are as the client wrote them (prefixed names, "05" for
// 5), so every path is rebuilt in this form before it is used as a key.
//
// A dpath is its last element and a pointer to its parent's path: paths
// share their prefixes, and making a child costs one allocation.
type dpath struct {
	parent *dpath
	depth  int // the number of elements
	elem   *gpb.PathElem
	field  *tree.Field   // the schema node of the last element
	key    reflect.Value // the map key of a list entry; the zero Value otherwise
	str    string        // tree.FormatPath of the elements, "" for the root
	schema string        // the schema path: "/interfaces/interface/config/mtu"
}

var rootPath = &dpath{}

// at returns the path of the first n elements.
func (p *dpath) at(n int) *dpath {
	for p.depth > n {
		p = p.parent
	}
	return p
}

// prefix is the data path of the first n elements; "" for the root, so
// that it never collides with a real path.
func (p *dpath) prefix(n int) string { return p.at(n).str }

// child returns p followed by one more element; key and keyMap are set for
// a list entry.
func (p *dpath) child(f *tree.Field, key reflect.Value, keyMap map[string]string) *dpath {
	e := &gpb.PathElem{Name: f.Name, Key: keyMap}
	return &dpath{
		parent: p, depth: p.depth + 1, elem: e, field: f, key: key,
		str: p.str + formatElem(e), schema: p.schema + "/" + f.Name,
	}
}

// elems returns the elements of the path.
func (p *dpath) elems() []*gpb.PathElem {
	out := make([]*gpb.PathElem, p.depth)
	for q := p; q.depth > 0; q = q.parent {
		out[q.depth-1] = q.elem
	}
	return out
}

// ancestors returns the paths of the first 1, 2, ... depth elements.
func (p *dpath) ancestors() []*dpath {
	out := make([]*dpath, p.depth)
	for q := p; q.depth > 0; q = q.parent {
		out[q.depth-1] = q
	}
	return out
}

// structOf is the struct of the last node of p: the root, a container or
// a list entry.
func (p *dpath) structOf(s *tree.Schema) *tree.Struct {
	if p.depth == 0 {
		return s.Root
	}
	return p.field.Struct
}

// formatElem writes one element exactly as tree.FormatPath does.
func formatElem(e *gpb.PathElem) string {
	if len(e.GetKey()) == 0 {
		return "/" + e.GetName()
	}
	names := make([]string, 0, len(e.GetKey()))
	for k := range e.GetKey() {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteByte('/')
	b.WriteString(e.GetName())
	for _, k := range names {
		v := e.GetKey()[k]
		v = strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "]", `\]`)
		b.WriteString("[" + k + "=" + v + "]")
	}
	return b.String()
}

// canonicalizer rebuilds the paths of an edit's leaf changes in the
// index's spelling. The changes of one operation share the elements of
// their common prefix, so each prefix is rebuilt once: converting keys is
// most of the cost of a path.
type canonicalizer struct {
	s    *tree.Schema
	seen map[prefixKey]*dpath
}

type prefixKey struct {
	parent *dpath
	elem   *gpb.PathElem
}

func (cz *canonicalizer) path(elems []*gpb.PathElem) (*dpath, error) {
	p := rootPath
	for i, e := range elems {
		if q := cz.seen[prefixKey{p, e}]; q != nil {
			p = q
			continue
		}
		st := p.structOf(cz.s)
		if st == nil {
			return nil, fmt.Errorf("%s is a leaf; the path cannot go below it", tree.FormatPath(elems[:i]))
		}
		f := st.Child(e.GetName())
		if f == nil {
			return nil, fmt.Errorf("%s has no child %q", tree.FormatPath(elems[:i]), e.GetName())
		}
		var key reflect.Value
		var km map[string]string
		if f.Kind == tree.List {
			k, err := cz.s.ListKey(f, e.GetKey(), elems[:i+1])
			if err != nil {
				return nil, err
			}
			key, km = k, tree.KeyMap(f, k)
		}
		q := p.child(f, key, km)
		if cz.seen != nil {
			cz.seen[prefixKey{p, e}] = q
		}
		p = q
	}
	return p, nil
}

// element returns the path of entry i of the unkeyed list at p. Entries of
// an unkeyed list have no key: the tree reports the whole list as one
// leaf, and the index names what is inside by position.
func (p *dpath) element(i int) *dpath {
	return p.parent.child(p.field, reflect.ValueOf(i), map[string]string{"#": strconv.Itoa(i)})
}
