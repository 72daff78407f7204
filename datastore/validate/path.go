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
type dpath struct {
	elems  []*gpb.PathElem
	fields []*tree.Field   // the schema node of each element
	keys   []reflect.Value // the map key of each list entry element; the zero Value elsewhere
	str    string          // tree.FormatPath(elems)
	ends   []int           // str[:ends[i]] is the path of elems[:i+1]
	sends  []int           // schema[:sends[i]] is the schema path of elems[:i+1]
	schema string          // the schema path: "/interfaces/interface/config/mtu"
}

var rootPath = &dpath{}

// prefix is the data path of the first n elements; "" for the root, so
// that it never collides with a real path.
func (p *dpath) prefix(n int) string {
	if n == 0 {
		return ""
	}
	return p.str[:p.ends[n-1]]
}

// truncate returns the path of the first n elements.
func (p *dpath) truncate(n int) *dpath {
	if n == 0 {
		return rootPath
	}
	return &dpath{
		elems: p.elems[:n:n], fields: p.fields[:n:n], keys: p.keys[:n:n],
		ends: p.ends[:n:n], sends: p.sends[:n:n],
		str: p.str[:p.ends[n-1]], schema: p.schema[:p.sends[n-1]],
	}
}

// child returns p followed by one more element; key and keyMap are set for
// a list entry. p is not modified: the slices are copied, not appended to
// in place, because paths share prefixes.
func (p *dpath) child(f *tree.Field, key reflect.Value, keyMap map[string]string) *dpath {
	e := &gpb.PathElem{Name: f.Name, Key: keyMap}
	n := len(p.elems)
	q := &dpath{
		elems:  append(p.elems[:n:n], e),
		fields: append(p.fields[:n:n], f),
		keys:   append(p.keys[:n:n], key),
		str:    p.str + formatElem(e),
		schema: p.schema + "/" + f.Name,
	}
	q.ends = append(p.ends[:n:n], len(q.str))
	q.sends = append(p.sends[:n:n], len(q.schema))
	return q
}

// last is the index of the last element.
func (p *dpath) last() int { return len(p.elems) - 1 }

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

// canonical rebuilds the path of a leaf change in the index's spelling.
func canonical(s *tree.Schema, elems []*gpb.PathElem) (*dpath, error) {
	p := rootPath
	st := s.Root
	for i, e := range elems {
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
			k, err := s.ListKey(f, e.GetKey(), elems[:i+1])
			if err != nil {
				return nil, err
			}
			key, km = k, tree.KeyMap(f, k)
		}
		p = p.child(f, key, km)
		st = f.Struct
	}
	return p, nil
}

// element returns the path of entry i of the unkeyed list at p. Entries of
// an unkeyed list have no key: the tree reports the whole list as one
// leaf, and the index names what is inside by position.
func (p *dpath) element(i int) *dpath {
	n := p.last()
	return p.truncate(n).child(p.fields[n], reflect.ValueOf(i), map[string]string{"#": strconv.Itoa(i)})
}
