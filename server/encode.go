package server

import (
	"encoding/json"
	"fmt"
	"reflect"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore/tree"
)

// checkEncoding accepts the encodings nwmod serves (Capabilities lists
// them); any other is Unimplemented, as gNMI §3.3.1 requires.
func checkEncoding(enc gpb.Encoding) error {
	switch enc {
	case gpb.Encoding_JSON, gpb.Encoding_JSON_IETF, gpb.Encoding_PROTO:
		return nil
	}
	return unsupported("encoding %s is not supported; use JSON_IETF, JSON or PROTO", enc)
}

// leafValue encodes the value of one leaf or leaf-list: for PROTO a scalar
// TypedValue (a leaflist_val for a leaf-list), for JSON and JSON_IETF the
// JSON of the value alone.
func leafValue(f *tree.Field, v reflect.Value, enc gpb.Encoding) (*gpb.TypedValue, error) {
	ietf := enc == gpb.Encoding_JSON_IETF
	switch {
	case enc == gpb.Encoding_PROTO:
		return f.TypedValue(v)
	case f.Kind == tree.UnkeyedList:
		// An unkeyed list has no scalar form: TypedValue gives its RFC
		// 7951 array, which stands for it in either JSON encoding.
		tv, err := f.TypedValue(v)
		if err != nil || tv == nil {
			return tv, err
		}
		return jsonValue(tv.GetJsonIetfVal(), ietf), nil
	}
	j, err := f.JSONValue(v, ietf)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", f.Name, err)
	}
	return jsonValue(b, ietf), nil
}

func jsonValue(b []byte, ietf bool) *gpb.TypedValue {
	if ietf {
		return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: b}}
	}
	return &gpb.TypedValue{Value: &gpb.TypedValue_JsonVal{JsonVal: b}}
}

// listJSON encodes the entries of a whole list as the schema's JSON codec
// does inside a parent: an array in RFC 7951, an object keyed by the
// entries' keys in ygot's Internal JSON. It encodes a parent holding only
// the list and takes the member's value out.
func listJSON(sc *tree.Schema, n tree.Node, m reflect.Value, ietf bool) ([]byte, bool, error) {
	parent := sc.Struct(n.Parent.Type())
	holder := reflect.New(parent.Type)
	holder.Elem().Field(n.Field.Index).Set(m)
	// With the list's own module as the parent's, the member name is not
	// qualified: the object is exactly {"NAME":VALUE}.
	b, err := sc.AppendJSON(nil, parent, holder, n.Field.Module, ietf)
	if err != nil {
		return nil, false, err
	}
	head := len(`{"`) + len(n.Field.Name) + len(`":`)
	if len(b) < head+1 || string(b[2:head-2]) != n.Field.Name {
		return nil, false, fmt.Errorf("encoding list %s: unexpected JSON %.40q", tree.FormatPath(n.Path), b)
	}
	return b[head : len(b)-1], true, nil
}

// nodeJSON encodes what sel keeps of node n as one JSON value: an object
// for the root, a container or a list entry, an array of objects for a
// whole list, the value itself for a leaf. ok is false when sel keeps
// nothing of it. Member names at the top of the value are module-qualified
// in JSON_IETF, as RFC 7951 wants for a top-level object.
func nodeJSON(sc *tree.Schema, n tree.Node, sel selection, ietf bool) (b []byte, ok bool, err error) {
	if !sel.keepPath(n.Path) {
		return nil, false, nil
	}
	v := n.Value()
	switch {
	case n.IsRoot():
		if !sel.all() {
			if v = sel.pruned(sc.Root, v, true); !v.IsValid() {
				// An empty root is still the answer for "/".
				v = reflect.ValueOf(sc.New())
			}
		}
		b, err = sc.AppendJSON(nil, sc.Root, v, "", ietf)
		return b, true, err
	case n.IsEntry():
		if !sel.all() {
			if v = sel.prunedEntry(n.Field, v); !v.IsValid() {
				return nil, false, nil
			}
		}
		b, err = sc.AppendJSON(nil, n.Field.Struct, v, "", ietf)
		return b, true, err
	case n.Field.Kind == tree.Container:
		if !sel.all() {
			if v = sel.pruned(n.Field.Struct, v, false); !v.IsValid() {
				return nil, false, nil
			}
		}
		b, err = sc.AppendJSON(nil, n.Field.Struct, v, "", ietf)
		return b, true, err
	case n.Field.Kind == tree.List:
		if !sel.all() {
			if v = sel.prunedList(n.Field, v); !v.IsValid() {
				return nil, false, nil
			}
		}
		return listJSON(sc, n, v, ietf)
	}
	if !sel.keepLeaf(n.Field) || !tree.Present(v) {
		return nil, false, nil
	}
	enc := gpb.Encoding_JSON
	if ietf {
		enc = gpb.Encoding_JSON_IETF
	}
	tv, err := leafValue(n.Field, v, enc)
	if err != nil {
		return nil, false, err
	}
	if ietf {
		return tv.GetJsonIetfVal(), true, nil
	}
	return tv.GetJsonVal(), true, nil
}
