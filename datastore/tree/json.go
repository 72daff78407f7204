package tree

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// This file encodes and decodes whole subtrees as JSON, in RFC 7951 form or
// ygot's Internal form, straight between the byte slice and the generated
// structs: no encoding/json, no intermediate maps. ygot builds a
// map[string]any of the whole tree and searches the schema for every field,
// which took 73 s to encode 10,000 interfaces.

// AppendJSON appends the JSON object of the struct that v points to, which
// st describes. With ietf, it is RFC 7951 JSON: a member is named
// "module:name" where its module differs from its parent's (parentModule
// is the module of the node holding v; "" at the root, so that top-level
// members are qualified), lists are arrays of entries sorted by key
// (numbers numerically, strings lexically, several keys in key order), and
// empty non-presence containers, lists and leaf-lists are left out.
// Otherwise it is ygot's Internal JSON: no modules, lists as objects keyed
// by the entries' keys.
func (s *Schema) AppendJSON(dst []byte, st *Struct, v reflect.Value, parentModule string, ietf bool) ([]byte, error) {
	c, err := codecOf(st)
	if err != nil {
		return dst, err
	}
	if v.Kind() != reflect.Pointer || v.Type().Elem() != st.Type {
		return dst, fmt.Errorf("tree: AppendJSON of a %s with the schema of %s", v.Type(), st.Type)
	}
	if v.IsNil() {
		return append(dst, "{}"...), nil
	}
	out, err := c.appendObject(dst, v.Elem(), parentModule, ietf)
	if err != nil {
		return dst, locateError(err, st.Path())
	}
	return out, nil
}

// DecodeJSON merges the JSON object data into the struct that v points
// to, which st describes, as ytypes.Unmarshal does: members set leaves,
// replace leaf-lists, create or merge into containers and list entries
// (found by their key leaves), and append to unkeyed lists; null leaves
// things as they are. Member names may be qualified by their module, in
// either format; a qualifier naming another module is an error, as is an
// unknown member. With ietf, values are read as RFC 7951 says; otherwise
// as ygot's Internal JSON (where lists may also be objects keyed by the
// entries' keys). Errors wrap ErrBadValue or ErrUnknownPath and name the
// data path. On error, v may have been partly changed.
func (s *Schema) DecodeJSON(data []byte, st *Struct, v reflect.Value, ietf bool) error {
	s.indexUnions()
	c, err := codecOf(st)
	if err != nil {
		return err
	}
	if v.Kind() != reflect.Pointer || v.Type().Elem() != st.Type || v.IsNil() {
		return fmt.Errorf("tree: DecodeJSON into a %v with the schema of %s", v, st.Type)
	}
	d := jsonDecoder{data: data, ietf: ietf}
	d.space()
	err = d.object(c, v.Elem())
	if err == nil {
		if d.space(); d.pos < len(d.data) {
			err = d.syntax("data after the JSON object")
		}
	}
	if err != nil {
		return locateError(err, st.Path())
	}
	return nil
}

// Prepare compiles the conversions of every struct and leaf of the schema,
// which otherwise happens on first use, and reports the first node it
// cannot convert. Field.FromJSON and Field.FromTypedValue of a union leaf
// need it, or a first AppendJSON or DecodeJSON, to know the union's
// member types, which only the generated parent struct can tell.
func (s *Schema) Prepare() error {
	s.indexUnions()
	for _, st := range s.structs {
		c, err := codecOf(st)
		if err != nil {
			return err
		}
		for _, fc := range c.fields {
			if fc.leaf != nil && fc.leaf.kind == kUnion {
				if _, err := fc.leaf.unionType(); err != nil {
					return fmt.Errorf("%s: %w", fc.leaf.path, err)
				}
			}
		}
	}
	return nil
}

var indexedSchemas sync.Map // *Schema → struct{}

// indexUnions records the owners of every union of the schema, once.
func (s *Schema) indexUnions() {
	if _, done := indexedSchemas.LoadOrStore(s, struct{}{}); done {
		return
	}
	for _, st := range s.structs {
		registerUnions(st)
	}
}

// codecError is a conversion error located in the data tree.
type codecError struct {
	path string
	segs []string // path elements, innermost first, while the error unwinds
	err  error
	kind error // ErrBadValue or ErrUnknownPath
}

func (e *codecError) Error() string { return e.path + ": " + e.err.Error() }

func (e *codecError) Unwrap() []error { return []error{e.kind, e.err} }

// atPath adds the path element seg, in front, to an error unwinding from it.
func atPath(err error, seg string) error {
	ce, ok := err.(*codecError)
	if !ok {
		ce = &codecError{err: err, kind: ErrBadValue}
	}
	ce.segs = append(ce.segs, seg)
	return ce
}

// locateError completes the path of an error below the node at schema path
// prefix.
func locateError(err error, prefix string) error {
	ce, ok := err.(*codecError)
	if !ok {
		ce = &codecError{err: err, kind: ErrBadValue}
	}
	var b strings.Builder
	if prefix != "/" {
		b.WriteString(prefix)
	}
	for i := len(ce.segs) - 1; i >= 0; i-- {
		b.WriteString(ce.segs[i])
	}
	ce.path, ce.segs = b.String(), nil
	if ce.path == "" {
		ce.path = "/"
	}
	return ce
}

// structCodec is the JSON layout of one generated struct.
type structCodec struct {
	st     *Struct
	fields []*fieldCodec
	byName map[string]*fieldCodec // by name and by module:name
	keys   []*fieldCodec          // a list entry's key leaves, in key order
}

type fieldCodec struct {
	*Field
	leaf      *leafCodec // of a leaf or leaf-list
	plain     string     // `"name":`
	qualified string     // `"module:name":`
	presence  bool       // a presence container, written even when empty
	child     atomic.Pointer[structCodec]
}

var structCodecs sync.Map // *Struct → *structCodec

// codecOf returns the codec of st, compiling it on first use. Codecs of
// child structs are compiled when first reached, so that a schema of
// thousands of structs costs only what is used.
func codecOf(st *Struct) (*structCodec, error) {
	if c, ok := structCodecs.Load(st); ok {
		return c.(*structCodec), nil
	}
	registerUnions(st)
	c := &structCodec{st: st, byName: make(map[string]*fieldCodec, 2*len(st.Fields))}
	for _, f := range st.Fields {
		fc := &fieldCodec{
			Field:     f,
			plain:     `"` + f.Name + `":`,
			qualified: `"` + f.Module + ":" + f.Name + `":`,
			presence:  f.Kind == Container && f.Entry != nil && len(f.Entry.Extra["presence"]) > 0,
		}
		if f.Kind == Leaf || f.Kind == LeafList {
			var err error
			if fc.leaf, err = f.leafCodec(); err != nil {
				return nil, err
			}
		}
		c.fields = append(c.fields, fc)
		c.byName[f.Name] = fc
		if f.Module != "" {
			c.byName[f.Module+":"+f.Name] = fc
		}
	}
	for _, k := range st.Keys {
		c.keys = append(c.keys, c.byName[k.Name])
	}
	actual, _ := structCodecs.LoadOrStore(st, c)
	return actual.(*structCodec), nil
}

// childCodec returns the codec of a container's or list's struct.
func (fc *fieldCodec) childCodec() (*structCodec, error) {
	if c := fc.child.Load(); c != nil {
		return c, nil
	}
	c, err := codecOf(fc.Struct)
	if err != nil {
		return nil, err
	}
	fc.child.Store(c)
	return c, nil
}

// appendName appends the member name, qualified as RFC 7951 section 4
// says: where the module differs from the parent's.
func (fc *fieldCodec) appendName(dst []byte, first bool, parentModule string, ietf bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	if ietf && fc.Module != parentModule {
		return append(dst, fc.qualified...)
	}
	return append(dst, fc.plain...)
}

// appendObject appends the JSON object of sv, a generated struct.
func (c *structCodec) appendObject(dst []byte, sv reflect.Value, parentModule string, ietf bool) ([]byte, error) {
	dst = append(dst, '{')
	first := true
	var err error
	for _, fc := range c.fields {
		fv := sv.Field(fc.Index)
		switch fc.Kind {
		case Leaf:
			if !fc.leaf.present(fv) {
				continue
			}
			dst = fc.appendName(dst, first, parentModule, ietf)
			if dst, err = fc.leaf.appendJSON(dst, fc.leaf.deref(fv), ietf); err != nil {
				return dst, atPath(err, "/"+fc.Name)
			}
		case LeafList:
			if fv.Len() == 0 {
				continue
			}
			dst = fc.appendName(dst, first, parentModule, ietf)
			dst = append(dst, '[')
			for i := 0; i < fv.Len(); i++ {
				if i > 0 {
					dst = append(dst, ',')
				}
				if dst, err = fc.leaf.appendJSON(dst, fv.Index(i), ietf); err != nil {
					return dst, atPath(fmt.Errorf("element %d: %w", i, err), "/"+fc.Name)
				}
			}
			dst = append(dst, ']')
		case Container:
			if fv.IsNil() {
				continue
			}
			child, err := fc.childCodec()
			if err != nil {
				return dst, err
			}
			mark := len(dst)
			dst = fc.appendName(dst, first, parentModule, ietf)
			start := len(dst)
			if dst, err = child.appendObject(dst, fv.Elem(), fc.Module, ietf); err != nil {
				return dst, atPath(err, "/"+fc.Name)
			}
			if len(dst) == start+2 && !fc.presence {
				// An empty container is no data; ygot leaves it out too.
				dst = dst[:mark]
				continue
			}
		case List:
			if fv.Len() == 0 {
				continue
			}
			dst = fc.appendName(dst, first, parentModule, ietf)
			if dst, err = fc.appendList(dst, fv, ietf); err != nil {
				return dst, atPath(err, "/"+fc.Name)
			}
		case UnkeyedList:
			if fv.Len() == 0 {
				continue
			}
			dst = fc.appendName(dst, first, parentModule, ietf)
			if dst, err = fc.appendUnkeyed(dst, fv, ietf); err != nil {
				return dst, atPath(err, "/"+fc.Name)
			}
		}
		first = false
	}
	return append(dst, '}'), nil
}

// appendList appends the entries of list map m in key order: an array in
// RFC 7951, an object keyed by the entries' keys in the Internal format.
func (fc *fieldCodec) appendList(dst []byte, m reflect.Value, ietf bool) ([]byte, error) {
	child, err := fc.childCodec()
	if err != nil {
		return dst, err
	}
	open, close := byte('['), byte(']')
	if !ietf {
		open, close = '{', '}'
	}
	dst = append(dst, open)
	for i, e := range sortedEntries(fc.Field, m) {
		if i > 0 {
			dst = append(dst, ',')
		}
		if !ietf {
			dst = append(appendJSONString(dst, internalKey(fc.Field, e.key)), ':')
		}
		if e.val.IsNil() {
			return dst, atPath(fmt.Errorf("list entry is nil"), keyPredicate(fc.Field, e.key))
		}
		if dst, err = child.appendObject(dst, e.val.Elem(), fc.Module, ietf); err != nil {
			return dst, atPath(err, keyPredicate(fc.Field, e.key))
		}
	}
	return append(dst, close), nil
}

// appendUnkeyed appends the entries of an unkeyed list, in order.
func (fc *fieldCodec) appendUnkeyed(dst []byte, sl reflect.Value, ietf bool) ([]byte, error) {
	child, err := fc.childCodec()
	if err != nil {
		return dst, err
	}
	dst = append(dst, '[')
	for i := 0; i < sl.Len(); i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		e := sl.Index(i)
		if e.IsNil() {
			return dst, atPath(fmt.Errorf("list entry is nil"), "["+strconv.Itoa(i)+"]")
		}
		if dst, err = child.appendObject(dst, e.Elem(), fc.Module, ietf); err != nil {
			return dst, atPath(err, "["+strconv.Itoa(i)+"]")
		}
	}
	return append(dst, ']'), nil
}

// unkeyedListTypedValue is the RFC 7951 JSON array of an unkeyed list.
func unkeyedListTypedValue(f *Field, v reflect.Value) (*gpb.TypedValue, error) {
	if v.Len() == 0 {
		return nil, nil
	}
	fc := &fieldCodec{Field: f}
	b, err := fc.appendUnkeyed(nil, v, true)
	if err != nil {
		return nil, locateError(err, f.Struct.Path())
	}
	return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: b}}, nil
}

// listEntry is an entry of a list map with what it sorts by.
type listEntry struct {
	key, val reflect.Value
	sort     []sortKey // one per key leaf, in key order
}

// sortKey is a key leaf value prepared for comparing.
type sortKey struct {
	rank uint8 // values of different kinds (in a union) sort by kind
	i    int64
	u    uint64
	f    float64
	s    string
}

// sortedEntries returns the entries of list map m in key order: numbers
// numerically, enums by value (as SortedKeys), strings lexically, several
// keys in key order. The keys are read once, not in every comparison.
func sortedEntries(f *Field, m reflect.Value) []listEntry {
	nk := max(1, len(f.KeyFields))
	keys := make([]sortKey, m.Len()*nk)
	out := make([]listEntry, 0, m.Len())
	for it := m.MapRange(); it.Next(); {
		i := len(out)
		e := listEntry{key: it.Key(), val: it.Value(), sort: keys[i*nk : (i+1)*nk : (i+1)*nk]}
		if len(f.KeyFields) == 0 {
			e.sort[0] = sortKeyOf(e.key)
		} else {
			for j, idx := range f.KeyFields {
				e.sort[j] = sortKeyOf(e.key.Field(idx))
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b listEntry) int {
		for j := range a.sort {
			if c := a.sort[j].compare(b.sort[j]); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

func sortKeyOf(v reflect.Value) sortKey {
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return sortKey{}
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		return sortKey{rank: 1, i: v.Int()}
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		return sortKey{rank: 2, u: v.Uint()}
	case reflect.Float32, reflect.Float64:
		return sortKey{rank: 3, f: v.Float()}
	case reflect.Bool:
		if v.Bool() {
			return sortKey{rank: 4, u: 1}
		}
		return sortKey{rank: 4}
	case reflect.String:
		return sortKey{rank: 5, s: v.String()}
	}
	return sortKey{rank: 6, s: fmt.Sprint(v.Interface())}
}

func (a sortKey) compare(b sortKey) int {
	if a.rank != b.rank {
		return int(a.rank) - int(b.rank)
	}
	switch a.rank {
	case 1:
		return cmpOrdered(a.i, b.i)
	case 2, 4:
		return cmpOrdered(a.u, b.u)
	case 3:
		return cmpOrdered(a.f, b.f)
	}
	return strings.Compare(a.s, b.s)
}

func cmpOrdered[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// keyLeafText formats a key leaf value as in a gNMI path: enums by name
// without module.
func keyLeafText(v reflect.Value) string {
	vt, err := valueTypeOf(v.Type())
	if err != nil {
		return fmt.Sprint(v.Interface())
	}
	j, err := vt.jsonValue(v, false)
	if err != nil {
		return fmt.Sprint(v.Interface())
	}
	return fmt.Sprint(j)
}

// internalKey is the member name of a list entry in the Internal format:
// as ygot, the key values joined by spaces in the key struct's field order.
func internalKey(f *Field, key reflect.Value) string {
	if len(f.KeyFields) == 0 {
		return keyLeafText(key)
	}
	parts := make([]string, key.NumField())
	for i := range parts {
		parts[i] = keyLeafText(key.Field(i))
	}
	return strings.Join(parts, " ")
}

// keyPredicate writes the keys of a list entry for an error path, e.g.
// [name=eth0].
func keyPredicate(f *Field, key reflect.Value) string {
	var b strings.Builder
	for i, kf := range f.Struct.Keys {
		v := key
		if len(f.KeyFields) > 0 {
			v = key.Field(f.KeyFields[i])
		}
		fmt.Fprintf(&b, "[%s=%s]", kf.Name, keyLeafText(v))
	}
	return b.String()
}

// jsonDecoder reads JSON from data, straight into generated structs.
type jsonDecoder struct {
	data []byte
	pos  int
	ietf bool
	buf  []byte // the contents of the last string read that had escapes
}

func (d *jsonDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *jsonDecoder) syntax(msg string) error {
	if d.pos >= len(d.data) {
		return &codecError{err: fmt.Errorf("invalid JSON: unexpected end of data: %s", msg), kind: ErrBadValue}
	}
	return &codecError{err: fmt.Errorf("invalid JSON at offset %d: %s", d.pos, msg), kind: ErrBadValue}
}

// literal consumes the literal s (true, false, null).
func (d *jsonDecoder) literal(s string) error {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(s)) {
		return d.syntax("expected " + s)
	}
	d.pos += len(s)
	return nil
}

// str reads a string. The result aliases the input when the string has no
// escapes, and d.buf otherwise: it is valid until the next call.
func (d *jsonDecoder) str() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.syntax("expected a string")
	}
	for i := d.pos + 1; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			s := d.data[d.pos+1 : i]
			d.pos = i + 1
			return s, nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return d.strSlow()
		}
	}
	return nil, d.syntax("unterminated string")
}

// strSlow reads a string with escapes or non-ASCII characters into d.buf,
// replacing invalid UTF-8 by U+FFFD as encoding/json does.
func (d *jsonDecoder) strSlow() ([]byte, error) {
	d.buf = d.buf[:0]
	i := d.pos + 1
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.buf, nil
		case c == '\\':
			if i+1 >= len(d.data) {
				break
			}
			switch e := d.data[i+1]; e {
			case '"', '\\', '/':
				d.buf = append(d.buf, e)
			case 'b':
				d.buf = append(d.buf, '\b')
			case 'f':
				d.buf = append(d.buf, '\f')
			case 'n':
				d.buf = append(d.buf, '\n')
			case 'r':
				d.buf = append(d.buf, '\r')
			case 't':
				d.buf = append(d.buf, '\t')
			case 'u':
				r, n := d.unicodeEscape(i)
				if n == 0 {
					d.pos = i
					return nil, d.syntax("invalid \\u escape")
				}
				d.buf = utf8.AppendRune(d.buf, r)
				i += n
				continue
			default:
				d.pos = i
				return nil, d.syntax("invalid escape")
			}
			i += 2
			continue
		case c < 0x20:
			d.pos = i
			return nil, d.syntax("control character in string")
		case c < utf8.RuneSelf:
			d.buf = append(d.buf, c)
		default:
			r, size := utf8.DecodeRune(d.data[i:])
			if r == utf8.RuneError && size == 1 {
				d.buf = utf8.AppendRune(d.buf, utf8.RuneError)
			} else {
				d.buf = append(d.buf, d.data[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return nil, d.syntax("unterminated string")
}

// unicodeEscape decodes the \uXXXX escape at i, and its low surrogate if it
// is a high one; it returns the rune and the bytes consumed, 0 if invalid.
func (d *jsonDecoder) unicodeEscape(i int) (rune, int) {
	r := hex4(d.data, i+2)
	if r < 0 {
		return 0, 0
	}
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if i+12 <= len(d.data) && d.data[i+6] == '\\' && d.data[i+7] == 'u' {
		if r2 := hex4(d.data, i+8); r2 >= 0 {
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				return dec, 12
			}
		}
	}
	return utf8.RuneError, 6
}

func hex4(b []byte, i int) rune {
	if i+4 > len(b) {
		return -1
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// number reads a number in JSON syntax and returns its text.
func (d *jsonDecoder) number() ([]byte, error) {
	start, i, n := d.pos, d.pos, len(d.data)
	digits := func() int {
		j := i
		for i < n && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < n && d.data[i] == '-' {
		i++
	}
	switch {
	case i < n && d.data[i] == '0':
		i++
	case digits() == 0:
		d.pos = i
		return nil, d.syntax("invalid number")
	}
	if i < n && d.data[i] == '.' {
		i++
		if digits() == 0 {
			d.pos = i
			return nil, d.syntax("invalid number")
		}
	}
	if i < n && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < n && (d.data[i] == '-' || d.data[i] == '+') {
			i++
		}
		if digits() == 0 {
			d.pos = i
			return nil, d.syntax("invalid number")
		}
	}
	d.pos = i
	return d.data[start:i], nil
}

// scalar reads a scalar value, or the [null] of an empty leaf.
func (d *jsonDecoder) scalar() (jsonToken, error) {
	switch c := d.peek(); {
	case c == '"':
		s, err := d.str()
		return jsonToken{kind: tString, text: s}, err
	case c == '-' || c >= '0' && c <= '9':
		n, err := d.number()
		return jsonToken{kind: tNumber, text: n}, err
	case c == 't':
		return jsonToken{kind: tBool, b: true}, d.literal("true")
	case c == 'f':
		return jsonToken{kind: tBool}, d.literal("false")
	case c == 'n':
		return jsonToken{kind: tNull}, d.literal("null")
	case c == '[':
		start := d.pos
		d.pos++
		d.space()
		if d.peek() == 'n' {
			if err := d.literal("null"); err != nil {
				return jsonToken{}, err
			}
			if d.space(); d.peek() == ']' {
				d.pos++
				return jsonToken{kind: tEmpty}, nil
			}
		}
		d.pos = start
		return jsonToken{}, fmt.Errorf("got an array, want a single value")
	case c == '{':
		return jsonToken{}, fmt.Errorf("got an object, want a single value")
	}
	return jsonToken{}, d.syntax("expected a value")
}

// object reads a JSON object into sv, a generated struct described by c.
func (d *jsonDecoder) object(c *structCodec, sv reflect.Value) error {
	if d.peek() != '{' {
		return d.want("an object")
	}
	d.pos++
	d.space()
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		d.space()
		name, err := d.str()
		if err != nil {
			return err
		}
		fc, err := c.lookup(name)
		if err != nil {
			return err
		}
		d.space()
		if d.peek() != ':' {
			return d.syntax("expected : after an object member name")
		}
		d.pos++
		d.space()
		if err := d.member(fc, sv.Field(fc.Index)); err != nil {
			return atPath(err, "/"+fc.Name)
		}
		d.space()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.syntax("expected , or } after an object member")
		}
	}
}

// want reports a value of the wrong JSON type: a syntax error if it is not
// JSON at all.
func (d *jsonDecoder) want(what string) error {
	got := "a string"
	switch c := d.peek(); {
	case c == '{':
		got = "an object"
	case c == '[':
		got = "an array"
	case c == '-' || c >= '0' && c <= '9':
		got = "a number"
	case c == 't' || c == 'f':
		got = "a boolean"
	case c == '"':
	default:
		return d.syntax("expected " + what)
	}
	return fmt.Errorf("got %s, want %s", got, what)
}

// lookup finds the member named name: a node name, optionally qualified by
// its module (or, as Struct.Child allows, its module's prefix).
func (c *structCodec) lookup(name []byte) (*fieldCodec, error) {
	if fc, ok := c.byName[string(name)]; ok {
		return fc, nil
	}
	if f := c.st.Child(string(name)); f != nil {
		return c.byName[f.Name], nil
	}
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		if fc, ok := c.byName[string(name[i+1:])]; ok {
			return nil, &codecError{err: fmt.Errorf("member %q: %s is defined in module %q, not %q", name, fc.Name, fc.Module, name[:i]), kind: ErrUnknownPath}
		}
	}
	return nil, &codecError{err: fmt.Errorf("unknown field %q", name), kind: ErrUnknownPath}
}

// member reads the value of a member into fv, the field fc describes.
func (d *jsonDecoder) member(fc *fieldCodec, fv reflect.Value) error {
	if d.peek() == 'n' {
		// null: no value, which changes nothing, as in ytypes.
		return d.literal("null")
	}
	switch fc.Kind {
	case Leaf:
		tok, err := d.scalar()
		if err != nil {
			return err
		}
		c := fc.leaf
		if !c.ptr {
			return c.decode(fv, tok, d.ietf)
		}
		p := reflect.New(c.typ)
		if err := c.decode(p.Elem(), tok, d.ietf); err != nil {
			return err
		}
		fv.Set(p)
		return nil
	case LeafList:
		return d.leafList(fc.leaf, fv)
	case Container:
		child, err := fc.childCodec()
		if err != nil {
			return err
		}
		if d.peek() != '{' {
			return d.want("an object")
		}
		if fv.IsNil() {
			fv.Set(reflect.New(child.st.Type))
		}
		return d.object(child, fv.Elem())
	case List:
		return d.list(fc, fv)
	case UnkeyedList:
		return d.unkeyedList(fc, fv)
	}
	return fmt.Errorf("unsupported node kind %s", fc.Kind)
}

// leafList reads an array into a leaf-list, replacing it; [] clears it.
func (d *jsonDecoder) leafList(c *leafCodec, fv reflect.Value) error {
	if d.peek() != '[' {
		return d.want("an array")
	}
	d.pos++
	d.space()
	if d.peek() == ']' {
		d.pos++
		fv.SetZero()
		return nil
	}
	sl := reflect.MakeSlice(fv.Type(), 0, 4)
	zero := reflect.Zero(c.typ)
	for i := 0; ; i++ {
		d.space()
		tok, err := d.scalar()
		if err != nil {
			return err
		}
		sl = reflect.Append(sl, zero)
		if err := c.decode(sl.Index(i), tok, d.ietf); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
		d.space()
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			fv.Set(sl)
			return nil
		default:
			return d.syntax("expected , or ] in an array")
		}
	}
}

// list reads the entries of a keyed list: an array, or in the Internal
// format an object keyed by the entries' keys.
func (d *jsonDecoder) list(fc *fieldCodec, m reflect.Value) error {
	child, err := fc.childCodec()
	if err != nil {
		return err
	}
	c := d.peek()
	if c != '[' && c != '{' {
		return d.want("an array of list entries")
	}
	if m.IsNil() {
		// As ytypes, which makes the map before reading the entries.
		m.Set(reflect.MakeMap(m.Type()))
	}
	d.pos++
	d.space()
	if close := c + 2; d.peek() == close { // ] or }
		d.pos++
		return nil
	}
	for {
		d.space()
		var name []byte
		if c == '{' {
			s, err := d.str()
			if err != nil {
				return err
			}
			name = bytes.Clone(s)
			d.space()
			if d.peek() != ':' {
				return d.syntax("expected : after an object member name")
			}
			d.pos++
			d.space()
		}
		if err := d.entry(fc, child, m, name); err != nil {
			return err
		}
		d.space()
		switch d.peek() {
		case ',':
			d.pos++
		case c + 2:
			d.pos++
			return nil
		default:
			return d.syntax("expected , or the end of the list")
		}
	}
}

// entry reads one list entry into list map m. An entry whose key is in the
// map already is merged into it, by reading the object again into it.
// name is the entry's member name in the Internal format's list objects:
// it gives the key of a single-key entry lacking its key leaf.
func (d *jsonDecoder) entry(fc *fieldCodec, child *structCodec, m reflect.Value, name []byte) error {
	if d.peek() != '{' {
		return d.want("an object for a list entry")
	}
	start := d.pos
	e := reflect.New(child.st.Type)
	if err := d.object(child, e.Elem()); err != nil {
		return atPath(err, d.predicate(child, start, name))
	}
	if name != nil && len(child.keys) == 1 {
		if err := child.keyFromName(e.Elem(), name); err != nil {
			return atPath(err, d.predicate(child, start, name))
		}
	}
	key, err := child.mapKey(fc.Field, e.Elem())
	if err != nil {
		return err
	}
	if old := m.MapIndex(key); old.IsValid() && !old.IsNil() {
		end := d.pos
		d.pos = start
		if err := d.object(child, old.Elem()); err != nil {
			return atPath(err, keyPredicate(fc.Field, key))
		}
		d.pos = end
		return nil
	}
	m.SetMapIndex(key, e)
	return nil
}

// keyFromName sets the key leaf of a single-key entry from its member name
// when the entry lacks it.
func (c *structCodec) keyFromName(ev reflect.Value, name []byte) error {
	kf := c.keys[0]
	kv := ev.Field(kf.Index)
	if kf.leaf.present(kv) {
		return nil
	}
	v, err := kf.leaf.newValue(func(dst reflect.Value) error {
		return kf.leaf.decode(dst, jsonToken{kind: tString, text: name}, false)
	})
	if err != nil {
		return atPath(err, "/"+kf.Name)
	}
	kv.Set(v)
	return nil
}

// mapKey returns the map key of list entry ev, from its key leaves.
func (c *structCodec) mapKey(f *Field, ev reflect.Value) (reflect.Value, error) {
	kt := f.Type.Key()
	if len(f.KeyFields) == 0 {
		v, err := c.keyLeaf(ev, 0)
		if err != nil {
			return v, err
		}
		if v.Type() != kt {
			v = v.Convert(kt)
		}
		return v, nil
	}
	k := reflect.New(kt).Elem()
	for i, idx := range f.KeyFields {
		v, err := c.keyLeaf(ev, i)
		if err != nil {
			return v, err
		}
		k.Field(idx).Set(v)
	}
	return k, nil
}

func (c *structCodec) keyLeaf(ev reflect.Value, i int) (reflect.Value, error) {
	kf := c.keys[i]
	v := ev.Field(kf.Index)
	if !kf.leaf.present(v) {
		return reflect.Value{}, fmt.Errorf("list entry lacks its key leaf %q", kf.Name)
	}
	return kf.leaf.deref(v), nil
}

// predicate writes the keys of the entry at start for an error path,
// reading them again from the input; "" if it cannot.
func (d *jsonDecoder) predicate(c *structCodec, start int, name []byte) string {
	texts := make([]string, len(c.keys))
	if name != nil && len(c.keys) == 1 {
		texts[0] = string(name)
	} else {
		sub := jsonDecoder{data: d.data, pos: start}
		if !sub.keyTexts(c, texts) {
			return ""
		}
	}
	var b strings.Builder
	for i, kf := range c.keys {
		if texts[i] == "" {
			return ""
		}
		fmt.Fprintf(&b, "[%s=%s]", kf.Name, texts[i])
	}
	return b.String()
}

// keyTexts reads the key leaves' values of the object at d.pos as text.
// It stops at the first problem, which may come after the keys.
func (d *jsonDecoder) keyTexts(c *structCodec, texts []string) bool {
	if d.peek() != '{' {
		return false
	}
	d.pos++
	for {
		d.space()
		if d.peek() == '}' {
			return true
		}
		name, err := d.str()
		if err != nil {
			return false
		}
		fc, _ := c.lookup(name)
		if d.space(); d.peek() != ':' {
			return false
		}
		d.pos++
		d.space()
		if i := slices.Index(c.keys, fc); fc != nil && i >= 0 {
			tok, err := d.scalar()
			if err != nil {
				return false
			}
			texts[i] = string(tok.text)
			if tok.kind == tBool {
				texts[i] = strconv.FormatBool(tok.b)
			}
			if !slices.Contains(texts, "") {
				return true
			}
		} else if !d.skip() {
			return false
		}
		d.space()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			return true
		default:
			return false
		}
	}
}

// skip skips a value, without recursion so that deep nesting in bad input
// cannot exhaust the stack.
func (d *jsonDecoder) skip() bool {
	depth := 0
	for {
		d.space()
		switch c := d.peek(); {
		case c == '{' || c == '[':
			depth++
			d.pos++
			continue
		case c == '}' || c == ']':
			depth--
			d.pos++
		case c == ',' || c == ':':
			if depth == 0 {
				return false
			}
			d.pos++
			continue
		default:
			if _, err := d.scalar(); err != nil {
				return false
			}
		}
		if depth <= 0 {
			return depth == 0
		}
	}
}

// unkeyedList appends the entries of an array to an unkeyed list.
func (d *jsonDecoder) unkeyedList(fc *fieldCodec, sl reflect.Value) error {
	child, err := fc.childCodec()
	if err != nil {
		return err
	}
	if d.peek() != '[' {
		return d.want("an array of list entries")
	}
	if sl.IsNil() {
		sl.Set(reflect.MakeSlice(sl.Type(), 0, 0))
	}
	d.pos++
	d.space()
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for i := 0; ; i++ {
		d.space()
		if d.peek() != '{' {
			return d.want("an object for a list entry")
		}
		e := reflect.New(child.st.Type)
		if err := d.object(child, e.Elem()); err != nil {
			return atPath(err, "["+strconv.Itoa(i)+"]")
		}
		sl.Set(reflect.Append(sl, e))
		d.space()
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.syntax("expected , or ] in an array")
		}
	}
}
