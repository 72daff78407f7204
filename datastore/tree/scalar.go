package tree

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/goyang/pkg/yang"
	"github.com/openconfig/ygot/util"
	"github.com/openconfig/ygot/ygot"
)

// This file converts the value of one leaf or leaf-list between its Go form
// in a generated struct, its JSON forms (RFC 7951 and ygot's Internal one)
// and gNMI TypedValues. The Go type of a value decides almost everything,
// so conversions are compiled once per Go type (valueType) and once per
// field (leafCodec), and cached: a conversion then costs a switch and a
// strconv call instead of ygot's schema lookups.

// valueKind is how a leaf value is held in Go.
type valueKind uint8

const (
	kString  valueKind = iota
	kBool              // bool
	kInt               // int8 … int64
	kUint              // uint8 … uint64
	kDecimal           // float64, which ygot uses for decimal64 only
	kEnum              // a generated enum: an enumeration or an identityref
	kBinary            // the generated Binary ([]byte)
	kEmpty             // the generated YANGEmpty (bool)
	kUnion             // a generated union interface
)

// valueType converts the values of one Go type. Leaves of that type, and
// unions having it as a member, share it.
type valueType struct {
	kind valueKind
	typ  reflect.Type
	bits int // of kInt and kUint
	enum *enumType
}

// leafCodec converts the values of one leaf or leaf-list field.
type leafCodec struct {
	*valueType        // of one value: the pointer's or slice's element
	field      *Field // the field converted
	path       string // the schema path, for messages
	ptr        bool   // a leaf held as *typ
	list       bool   // a leaf-list held as []typ
	// union holds the members of a union, found lazily because they can
	// only be read from the generated parent struct (see unionOwners).
	union atomic.Pointer[unionType]
}

var (
	leafCodecs sync.Map // *Field → *leafCodec
	valueTypes sync.Map // reflect.Type → *valueType
	enumTypes  sync.Map // reflect.Type → *enumType
	unionTypes sync.Map // union interface reflect.Type → *unionType
	// unionOwners maps a union interface type to the pointer type of the
	// generated struct holding it. Only that struct knows the union's
	// members: its To_<Union> method wraps a Go value in the member type
	// and its ΛEnumTypeMap lists the member enums. A Field does not point
	// to its struct, so owners are recorded whenever a struct's codec is
	// built (by AppendJSON, UnmarshalJSON or Prepare).
	unionOwners sync.Map
)

var goEnumType = reflect.TypeFor[ygot.GoEnum]()

// JSONValue returns the JSON value of the leaf or leaf-list held in v, the
// value of the Go field f describes: a string, bool, json.Number, []any
// ([null] for an empty leaf in RFC 7951), or nil when v holds no value (a
// nil pointer, an unset enum, an empty leaf-list). With ietf, the value is
// in RFC 7951 form (64-bit numbers and decimal64 as strings, identities as
// "module:NAME"); otherwise in ygot's Internal form.
func (f *Field) JSONValue(v reflect.Value, ietf bool) (any, error) {
	c, err := f.leafCodec()
	if err != nil {
		return nil, err
	}
	if !c.present(v) {
		return nil, nil
	}
	if c.list {
		out := make([]any, v.Len())
		for i := range out {
			if out[i], err = c.jsonValue(v.Index(i), ietf); err != nil {
				return nil, c.errorf(fmt.Errorf("element %d: %w", i, err))
			}
		}
		return out, nil
	}
	j, err := c.jsonValue(c.deref(v), ietf)
	if err != nil {
		return nil, c.errorf(err)
	}
	return j, nil
}

// FromJSON converts a decoded JSON value (as encoding/json decodes it with
// UseNumber; Go numbers are accepted too) to a value assignable to the
// field: *T for a leaf held by pointer, a slice for a leaf-list, a value of
// the enum or union type otherwise. A JSON null gives the zero (invalid)
// Value: no value. Only the type is checked: range, length and pattern
// restrictions are left to validation. Errors wrap ErrBadValue and name the
// schema path, the value and the reason.
//
// A union's member types are read from its generated parent struct, which
// a Field does not reach: they are known once the Schema has been used for
// JSON or prepared (Schema.Prepare).
func (f *Field) FromJSON(j any, ietf bool) (reflect.Value, error) {
	c, err := f.leafCodec()
	if err != nil {
		return reflect.Value{}, err
	}
	v, err := c.fromJSON(j, ietf)
	if err != nil {
		return reflect.Value{}, c.errorf(err)
	}
	return v, nil
}

// TypedValue returns the gNMI value of the leaf or leaf-list held in v, as
// ygot.EncodeTypedValue(v.Interface(), gpb.Encoding_JSON_IETF) does: enums
// and identities as string_val without module, decimal64 as double_val, a
// leaf-list as leaflist_val. It returns nil when v holds no value. For an
// unkeyed list (state only), whose entries no gNMI path can address, it
// returns the RFC 7951 JSON array of the entries as json_ietf_val.
func (f *Field) TypedValue(v reflect.Value) (*gpb.TypedValue, error) {
	if f.Kind == UnkeyedList {
		return unkeyedListTypedValue(f, v)
	}
	c, err := f.leafCodec()
	if err != nil {
		return nil, err
	}
	if !c.list {
		if !c.present(v) {
			return nil, nil
		}
		tv, err := c.typedValue(c.deref(v))
		if err != nil {
			return nil, c.errorf(err)
		}
		return tv, nil
	}
	if v.IsNil() {
		return nil, nil
	}
	elems := make([]*gpb.TypedValue, v.Len())
	for i := range elems {
		if elems[i], err = c.typedValue(v.Index(i)); err != nil {
			return nil, c.errorf(fmt.Errorf("element %d: %w", i, err))
		}
	}
	return &gpb.TypedValue{Value: &gpb.TypedValue_LeaflistVal{LeaflistVal: &gpb.ScalarArray{Element: elems}}}, nil
}

// FromTypedValue converts a gNMI value to a value assignable to the field,
// accepting what a client may send for the leaf's type: int_val or uint_val
// for any integer (range checked), string_val for strings, enums and
// identities (with or without module), bool_val, double_val, float_val or
// decimal_val for decimal64, bytes_val for binary, leaflist_val for a
// leaf-list, and json_val or json_ietf_val holding the JSON value (see
// FromJSON). A string_val is also parsed for numbers and booleans, as path
// keys are. An empty leaflist_val gives the zero Value: no value. Errors
// wrap ErrBadValue and name the schema path, the value and the reason. A
// union leaf needs its Schema prepared, as for FromJSON.
func (f *Field) FromTypedValue(tv *gpb.TypedValue) (reflect.Value, error) {
	c, err := f.leafCodec()
	if err != nil {
		return reflect.Value{}, err
	}
	v, err := c.fromTypedValue(tv)
	if err != nil {
		return reflect.Value{}, c.errorf(err)
	}
	return v, nil
}

// leafCodec returns the compiled codec of a leaf or leaf-list field.
func (f *Field) leafCodec() (*leafCodec, error) {
	if c, ok := leafCodecs.Load(f); ok {
		return c.(*leafCodec), nil
	}
	c, err := newLeafCodec(f)
	if err != nil {
		return nil, err
	}
	actual, _ := leafCodecs.LoadOrStore(f, c)
	return actual.(*leafCodec), nil
}

func newLeafCodec(f *Field) (*leafCodec, error) {
	c := &leafCodec{field: f, path: util.SchemaTreePathNoModule(f.Entry)}
	t := f.Type
	switch {
	case f.Kind == LeafList && t.Kind() == reflect.Slice:
		c.list, t = true, t.Elem()
	case f.Kind == Leaf && t.Kind() == reflect.Pointer:
		c.ptr, t = true, t.Elem()
	case f.Kind == Leaf:
	default:
		return nil, fmt.Errorf("%s: %s of Go type %s is not a leaf or leaf-list", c.path, f.Kind, f.Type)
	}
	vt, err := valueTypeOf(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.path, err)
	}
	c.valueType = vt
	return c, nil
}

// valueTypeOf returns the conversions of one Go leaf value type.
func valueTypeOf(t reflect.Type) (*valueType, error) {
	if vt, ok := valueTypes.Load(t); ok {
		return vt.(*valueType), nil
	}
	vt := &valueType{typ: t}
	switch k := t.Kind(); {
	case k == reflect.Interface:
		vt.kind = kUnion
	case k == reflect.Int64 && t.Implements(goEnumType):
		e, err := enumTypeOf(t)
		if err != nil {
			return nil, err
		}
		vt.kind, vt.enum = kEnum, e
	case k == reflect.Slice && t.Name() == ygot.BinaryTypeName && t.Elem().Kind() == reflect.Uint8:
		vt.kind = kBinary
	case k == reflect.Bool && t.Name() == ygot.EmptyTypeName:
		vt.kind = kEmpty
	case k == reflect.String:
		vt.kind = kString
	case k == reflect.Bool:
		vt.kind = kBool
	case k >= reflect.Int8 && k <= reflect.Int64:
		vt.kind, vt.bits = kInt, t.Bits()
	case k >= reflect.Uint8 && k <= reflect.Uint64:
		vt.kind, vt.bits = kUint, t.Bits()
	case k == reflect.Float64:
		vt.kind = kDecimal
	default:
		return nil, fmt.Errorf("unsupported leaf value type %s", t)
	}
	actual, _ := valueTypes.LoadOrStore(t, vt)
	return actual.(*valueType), nil
}

// typeName names the value type in messages, by its YANG built-in type
// where there is one.
func (vt *valueType) typeName() string {
	switch vt.kind {
	case kInt:
		return "int" + strconv.Itoa(vt.bits)
	case kUint:
		return "uint" + strconv.Itoa(vt.bits)
	case kDecimal:
		return "decimal64"
	case kBinary:
		return "binary"
	case kEmpty:
		return "empty"
	case kEnum:
		if vt.enum.identity {
			return "identityref " + vt.typ.Name()
		}
		return "enumeration " + vt.typ.Name()
	case kUnion:
		return "union"
	}
	return vt.typ.Kind().String()
}

// errorf locates a conversion error at the leaf's schema path.
func (c *leafCodec) errorf(err error) error {
	return &codecError{path: c.path, err: err, kind: ErrBadValue}
}

// present reports whether v, the field's Go value, holds a value.
func (c *leafCodec) present(v reflect.Value) bool {
	switch {
	case c.list:
		return v.Len() > 0
	case c.ptr:
		return !v.IsNil()
	}
	switch c.kind {
	case kEnum:
		return v.Int() != 0
	case kUnion, kBinary:
		return !v.IsNil()
	case kEmpty:
		return v.Bool()
	}
	return true
}

// deref returns the value of a leaf held by pointer.
func (c *leafCodec) deref(v reflect.Value) reflect.Value {
	if c.ptr {
		return v.Elem()
	}
	return v
}

// unionMember returns the value type of a union value, from its dynamic type.
func unionMember(v reflect.Value) (*valueType, reflect.Value, error) {
	if v.IsNil() {
		return nil, v, errors.New("union holds no value")
	}
	v = v.Elem()
	vt, err := valueTypeOf(v.Type())
	if err != nil {
		return nil, v, err
	}
	if vt.kind == kUnion {
		return nil, v, fmt.Errorf("union holds a %s", v.Type())
	}
	return vt, v, nil
}

// appendJSON appends the JSON of one value v of type vt.
func (vt *valueType) appendJSON(dst []byte, v reflect.Value, ietf bool) ([]byte, error) {
	switch vt.kind {
	case kString:
		return appendJSONString(dst, v.String()), nil
	case kBool:
		return strconv.AppendBool(dst, v.Bool()), nil
	case kInt:
		// RFC 7951 section 6.1: 64-bit numbers are strings, since
		// JavaScript cannot hold them.
		if ietf && vt.bits == 64 {
			return append(strconv.AppendInt(append(dst, '"'), v.Int(), 10), '"'), nil
		}
		return strconv.AppendInt(dst, v.Int(), 10), nil
	case kUint:
		if ietf && vt.bits == 64 {
			return append(strconv.AppendUint(append(dst, '"'), v.Uint(), 10), '"'), nil
		}
		return strconv.AppendUint(dst, v.Uint(), 10), nil
	case kDecimal:
		f := v.Float()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return dst, fmt.Errorf("decimal64 value %v is not finite", f)
		}
		// Plain digits: a decimal64 has no exponent in YANG (ygot writes
		// 1e+06 for a million, which is not a decimal64).
		if ietf {
			return append(strconv.AppendFloat(append(dst, '"'), f, 'f', -1, 64), '"'), nil
		}
		return strconv.AppendFloat(dst, f, 'f', -1, 64), nil
	case kEnum:
		name, err := vt.enum.name(v.Int(), ietf)
		if err != nil {
			return dst, err
		}
		return appendJSONString(dst, name), nil
	case kBinary:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes())
		return append(dst, '"'), nil
	case kEmpty:
		switch {
		case !v.Bool():
			return dst, errors.New("empty leaf is not set")
		case ietf:
			return append(dst, "[null]"...), nil
		}
		return append(dst, "true"...), nil
	case kUnion:
		mt, mv, err := unionMember(v)
		if err != nil {
			return dst, err
		}
		return mt.appendJSON(dst, mv, ietf)
	}
	return dst, fmt.Errorf("unsupported value type %s", vt.typ)
}

// jsonValue returns the JSON value of one value v of type vt, as
// encoding/json decodes it with UseNumber.
func (vt *valueType) jsonValue(v reflect.Value, ietf bool) (any, error) {
	switch vt.kind {
	case kString:
		return v.String(), nil
	case kBool:
		return v.Bool(), nil
	case kEmpty:
		switch {
		case !v.Bool():
			return nil, errors.New("empty leaf is not set")
		case ietf:
			return []any{nil}, nil
		}
		return true, nil
	case kUnion:
		mt, mv, err := unionMember(v)
		if err != nil {
			return nil, err
		}
		return mt.jsonValue(mv, ietf)
	}
	b, err := vt.appendJSON(nil, v, ietf)
	if err != nil {
		return nil, err
	}
	if b[0] == '"' {
		// Numbers as RFC 7951 strings, enums and binary need no
		// unescaping.
		return string(b[1 : len(b)-1]), nil
	}
	return json.Number(b), nil
}

// typedValue returns the gNMI value of one value v of type vt.
func (vt *valueType) typedValue(v reflect.Value) (*gpb.TypedValue, error) {
	switch vt.kind {
	case kString:
		s := v.String()
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("string %q is not UTF-8", s)
		}
		return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: s}}, nil
	case kBool, kEmpty:
		return &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: v.Bool()}}, nil
	case kInt:
		return &gpb.TypedValue{Value: &gpb.TypedValue_IntVal{IntVal: v.Int()}}, nil
	case kUint:
		return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: v.Uint()}}, nil
	case kDecimal:
		return &gpb.TypedValue{Value: &gpb.TypedValue_DoubleVal{DoubleVal: v.Float()}}, nil
	case kEnum:
		name, err := vt.enum.name(v.Int(), false)
		if err != nil {
			return nil, err
		}
		return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: name}}, nil
	case kBinary:
		return &gpb.TypedValue{Value: &gpb.TypedValue_BytesVal{BytesVal: v.Bytes()}}, nil
	case kUnion:
		mt, mv, err := unionMember(v)
		if err != nil {
			return nil, err
		}
		return mt.typedValue(mv)
	}
	return nil, fmt.Errorf("unsupported value type %s", vt.typ)
}

// A jsonToken is one scalar JSON value, from the jsonDecoder's input or
// from a value decoded by encoding/json. Its text aliases the input:
// converters copy what they keep.
type jsonToken struct {
	kind tokKind
	text []byte // string contents, number literal
	b    bool
}

type tokKind uint8

const (
	tString tokKind = iota + 1
	tNumber
	tBool
	tNull
	tEmpty // [null], the RFC 7951 empty value
)

func (t jsonToken) String() string {
	switch t.kind {
	case tString:
		return strconv.Quote(string(t.text))
	case tNumber:
		return string(t.text)
	case tBool:
		return strconv.FormatBool(t.b)
	case tNull:
		return "null"
	case tEmpty:
		return "[null]"
	}
	return "?"
}

// tokenOf turns a value decoded by encoding/json into a jsonToken.
func tokenOf(j any) (jsonToken, error) {
	switch j := j.(type) {
	case string:
		return jsonToken{kind: tString, text: []byte(j)}, nil
	case json.Number:
		return jsonToken{kind: tNumber, text: []byte(j)}, nil
	case bool:
		return jsonToken{kind: tBool, b: j}, nil
	case nil:
		return jsonToken{kind: tNull}, nil
	case float64:
		return jsonToken{kind: tNumber, text: strconv.AppendFloat(nil, j, 'f', -1, 64)}, nil
	case float32:
		return jsonToken{kind: tNumber, text: strconv.AppendFloat(nil, float64(j), 'f', -1, 32)}, nil
	case int, int8, int16, int32, int64:
		return jsonToken{kind: tNumber, text: strconv.AppendInt(nil, reflect.ValueOf(j).Int(), 10)}, nil
	case uint, uint8, uint16, uint32, uint64:
		return jsonToken{kind: tNumber, text: strconv.AppendUint(nil, reflect.ValueOf(j).Uint(), 10)}, nil
	case []any:
		if len(j) == 1 && j[0] == nil {
			return jsonToken{kind: tEmpty}, nil
		}
		return jsonToken{}, fmt.Errorf("got an array of %d values, want a single value", len(j))
	case map[string]any:
		return jsonToken{}, errors.New("got an object, want a single value")
	}
	return jsonToken{}, fmt.Errorf("got a %T, want a JSON value", j)
}

func (c *leafCodec) fromJSON(j any, ietf bool) (reflect.Value, error) {
	if j == nil {
		return reflect.Value{}, nil
	}
	if !c.list {
		tok, err := tokenOf(j)
		if err != nil {
			return reflect.Value{}, err
		}
		return c.newValue(func(dst reflect.Value) error { return c.decode(dst, tok, ietf) })
	}
	arr, ok := j.([]any)
	if !ok {
		return reflect.Value{}, fmt.Errorf("got %v, want a JSON array for a leaf-list", j)
	}
	if len(arr) == 0 {
		// As ytypes: an empty array clears the leaf-list.
		return reflect.Value{}, nil
	}
	sl := reflect.MakeSlice(c.field.Type, len(arr), len(arr))
	for i, e := range arr {
		tok, err := tokenOf(e)
		if err == nil {
			err = c.decode(sl.Index(i), tok, ietf)
		}
		if err != nil {
			return reflect.Value{}, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return sl, nil
}

// newValue returns a new value for a leaf field, filled by set with the
// value itself.
func (c *leafCodec) newValue(set func(reflect.Value) error) (reflect.Value, error) {
	p := reflect.New(c.typ)
	if err := set(p.Elem()); err != nil {
		return reflect.Value{}, err
	}
	if c.ptr {
		return p, nil
	}
	return p.Elem(), nil
}

// decode sets dst, a settable value of the leaf's value type, from tok. As
// a leaf has a single type, its JSON is read leniently (a number given as
// a string is accepted); a union tries its members strictly first.
func (c *leafCodec) decode(dst reflect.Value, tok jsonToken, ietf bool) error {
	if c.kind != kUnion {
		return c.valueType.decode(dst, tok, ietf, false)
	}
	u, err := c.unionType()
	if err != nil {
		return err
	}
	return u.decode(dst, tok, ietf)
}

// decode sets dst from tok. strict accepts only the JSON type that the
// format gives the value type (a string for a 64-bit number in RFC 7951, a
// number otherwise), which is how union members are told apart.
func (vt *valueType) decode(dst reflect.Value, tok jsonToken, ietf, strict bool) error {
	switch vt.kind {
	case kString:
		if tok.kind != tString {
			return mismatch(tok, "a string")
		}
		dst.SetString(string(tok.text))
	case kBool:
		b, ok := tok.b, tok.kind == tBool
		if !ok && !strict && tok.kind == tString {
			b, ok = parseBool(tok.text)
		}
		if !ok {
			return mismatch(tok, "a boolean")
		}
		dst.SetBool(b)
	case kInt, kUint, kDecimal:
		if !vt.numberTokenOK(tok, ietf, strict) {
			return mismatch(tok, "a "+vt.typeName())
		}
		return vt.setNumber(dst, tok.text)
	case kEnum:
		if tok.kind != tString {
			return mismatch(tok, "a string naming a value of "+vt.typeName())
		}
		n, err := vt.enum.value(tok.text)
		if err != nil {
			return err
		}
		dst.SetInt(n)
	case kBinary:
		if tok.kind != tString {
			return mismatch(tok, "a base64 string")
		}
		b, err := base64.StdEncoding.AppendDecode(nil, tok.text)
		if err != nil {
			return fmt.Errorf("value %s is not base64: %v", tok, err)
		}
		if b == nil {
			b = []byte{}
		}
		dst.SetBytes(b)
	case kEmpty:
		// RFC 7951 writes an empty leaf as [null], the Internal format as
		// true.
		switch {
		case tok.kind == tEmpty && (ietf || !strict):
			dst.SetBool(true)
		case tok.kind == tBool && (!ietf || !strict):
			dst.SetBool(tok.b)
		default:
			return mismatch(tok, "[null] for an empty leaf")
		}
	default:
		return fmt.Errorf("cannot decode a %s", vt.typ)
	}
	return nil
}

// numberTokenOK reports whether a number of type vt may be given as tok.
func (vt *valueType) numberTokenOK(tok jsonToken, ietf, strict bool) bool {
	switch {
	case tok.kind != tNumber && tok.kind != tString:
		return false
	case !strict:
		return true
	case ietf && (vt.bits == 64 || vt.kind == kDecimal):
		return tok.kind == tString
	}
	return tok.kind == tNumber
}

func mismatch(tok jsonToken, want string) error {
	return fmt.Errorf("value %s is not %s", tok, want)
}

func parseBool(b []byte) (bool, bool) {
	switch string(b) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// setNumber sets dst, an integer or decimal64, from its decimal text.
func (vt *valueType) setNumber(dst reflect.Value, text []byte) error {
	switch vt.kind {
	case kInt:
		n, err := parseInt(text, vt.bits)
		if err != nil {
			return err
		}
		dst.SetInt(n)
	case kUint:
		n, err := parseUint(text, vt.bits)
		if err != nil {
			return err
		}
		dst.SetUint(n)
	default:
		f, err := parseDecimal(text)
		if err != nil {
			return err
		}
		dst.SetFloat(f)
	}
	return nil
}

// parseUint parses an unsigned integer of the given size. It works on
// []byte so that decoding allocates nothing.
func parseUint(b []byte, bits int) (uint64, error) {
	neg, n, ok, overflow := parseDigits(b)
	switch {
	case !ok:
		return integralFloat(b, bits, false)
	case overflow || (neg && n != 0) || (bits < 64 && n >= 1<<bits):
		return 0, fmt.Errorf("value %s out of range for uint%d", b, bits)
	}
	return n, nil
}

// parseInt parses a signed integer of the given size.
func parseInt(b []byte, bits int) (int64, error) {
	neg, n, ok, overflow := parseDigits(b)
	if !ok {
		i, err := integralFloat(b, bits, true)
		return int64(i), err
	}
	limit := uint64(1) << (bits - 1) // the magnitude of the minimum; the maximum is one less
	if overflow || (!neg && n >= limit) || (neg && n > limit) {
		return 0, fmt.Errorf("value %s out of range for int%d", b, bits)
	}
	if neg {
		return int64(-n), nil // two's complement: -limit wraps to MinInt64
	}
	return int64(n), nil
}

// parseDigits reads an optional minus sign and decimal digits; ok is false
// if b is anything else.
func parseDigits(b []byte) (neg bool, n uint64, ok, overflow bool) {
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 {
		return neg, 0, false, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return neg, 0, false, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			overflow = true
		}
		n = n*10 + d
	}
	return neg, n, true, overflow
}

// integralFloat accepts an integer written with a fraction or exponent,
// such as 1e3 or 5.0, which JSON allows for any number.
func integralFloat(b []byte, bits int, signed bool) (uint64, error) {
	name := "uint" + strconv.Itoa(bits)
	if signed {
		name = "int" + strconv.Itoa(bits)
	}
	f, err := parseDecimal(b)
	if err != nil || f != math.Trunc(f) {
		return 0, fmt.Errorf("value %q is not a valid %s", b, name)
	}
	var lo, hi float64
	switch {
	case signed:
		lo, hi = -math.Ldexp(1, bits-1), math.Ldexp(1, bits-1)
	default:
		lo, hi = 0, math.Ldexp(1, bits)
	}
	if f < lo || f >= hi {
		return 0, fmt.Errorf("value %s out of range for %s", b, name)
	}
	if signed {
		return uint64(int64(f)), nil
	}
	return uint64(f), nil
}

// parseDecimal parses a decimal64 written as a JSON number, rejecting the
// other forms strconv knows (Inf, NaN, hexadecimal, underscores).
func parseDecimal(b []byte) (float64, error) {
	if !isJSONNumber(b) {
		return 0, fmt.Errorf("value %q is not a valid decimal64", b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, fmt.Errorf("value %s out of range for decimal64", b)
	}
	return f, nil
}

// isJSONNumber reports whether b is a number in JSON syntax, allowing
// leading zeros and a leading '+' as YANG's lexical forms do.
func isJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		i++
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == start {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		frac := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == frac {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			i++
		}
		exp := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == exp {
			return false
		}
	}
	return i == len(b)
}

func (c *leafCodec) fromTypedValue(tv *gpb.TypedValue) (reflect.Value, error) {
	switch v := tv.GetValue().(type) {
	case nil:
		return reflect.Value{}, errors.New("no value given")
	case *gpb.TypedValue_JsonVal:
		return c.fromJSONBytes(v.JsonVal, false)
	case *gpb.TypedValue_JsonIetfVal:
		return c.fromJSONBytes(v.JsonIetfVal, true)
	case *gpb.TypedValue_LeaflistVal:
		if !c.list {
			return reflect.Value{}, errors.New("got a leaflist_val for a leaf")
		}
		elems := v.LeaflistVal.GetElement()
		if len(elems) == 0 {
			return reflect.Value{}, nil
		}
		sl := reflect.MakeSlice(c.field.Type, len(elems), len(elems))
		for i, e := range elems {
			if err := c.setTyped(sl.Index(i), e); err != nil {
				return reflect.Value{}, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return sl, nil
	}
	if c.list {
		return reflect.Value{}, fmt.Errorf("got %s, want a leaflist_val for a leaf-list", describeTV(tv))
	}
	return c.newValue(func(dst reflect.Value) error { return c.setTyped(dst, tv) })
}

// fromJSONBytes converts a json_val or json_ietf_val.
func (c *leafCodec) fromJSONBytes(data []byte, ietf bool) (reflect.Value, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var j any
	if err := d.Decode(&j); err != nil {
		return reflect.Value{}, fmt.Errorf("bad JSON value %q: %v", data, err)
	}
	if d.More() {
		return reflect.Value{}, fmt.Errorf("bad JSON value %q: data after the value", data)
	}
	return c.fromJSON(j, ietf)
}

// setTyped sets dst, a settable value of the leaf's value type, from tv.
func (c *leafCodec) setTyped(dst reflect.Value, tv *gpb.TypedValue) error {
	switch v := tv.GetValue().(type) {
	case *gpb.TypedValue_JsonVal, *gpb.TypedValue_JsonIetfVal:
		// A JSON element of a leaflist_val.
		data, ietf := tv.GetJsonVal(), false
		if _, ok := v.(*gpb.TypedValue_JsonIetfVal); ok {
			data, ietf = tv.GetJsonIetfVal(), true
		}
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var j any
		if err := d.Decode(&j); err != nil {
			return fmt.Errorf("bad JSON value %q: %v", data, err)
		}
		tok, err := tokenOf(j)
		if err != nil {
			return err
		}
		return c.decode(dst, tok, ietf)
	}
	if c.kind != kUnion {
		return c.valueType.setTyped(dst, tv, false)
	}
	u, err := c.unionType()
	if err != nil {
		return err
	}
	for _, strict := range []bool{true, false} {
		for _, m := range u.members {
			w := reflect.New(m.typ).Elem()
			if m.setTyped(w, tv, strict) == nil {
				dst.Set(w)
				return nil
			}
		}
	}
	return fmt.Errorf("value %s matches no member of the union (%s)", describeTV(tv), u.names)
}

// setTyped sets dst from tv. strict accepts only the TypedValue kinds gNMI
// specifies for the type; otherwise strings are parsed too.
func (vt *valueType) setTyped(dst reflect.Value, tv *gpb.TypedValue, strict bool) error {
	str, isStr := stringOf(tv)
	switch vt.kind {
	case kString:
		if !isStr {
			return tvMismatch(tv, "a string_val")
		}
		dst.SetString(str)
		return nil
	case kEnum:
		if !isStr {
			return tvMismatch(tv, "a string_val naming a value of "+vt.typeName())
		}
		n, err := vt.enum.value([]byte(str))
		if err != nil {
			return err
		}
		dst.SetInt(n)
		return nil
	case kBool, kEmpty:
		switch {
		case tv.GetValue() != nil && isBoolVal(tv):
			dst.SetBool(tv.GetBoolVal())
			return nil
		case isStr && !strict:
			if b, ok := parseBool([]byte(str)); ok {
				dst.SetBool(b)
				return nil
			}
		}
		return tvMismatch(tv, "a bool_val")
	case kBinary:
		switch v := tv.GetValue().(type) {
		case *gpb.TypedValue_BytesVal:
			b := v.BytesVal
			if b == nil {
				b = []byte{}
			}
			dst.SetBytes(b)
			return nil
		case *gpb.TypedValue_StringVal, *gpb.TypedValue_AsciiVal:
			if !strict {
				return vt.decode(dst, jsonToken{kind: tString, text: []byte(str)}, true, false)
			}
		}
		return tvMismatch(tv, "a bytes_val")
	case kInt, kUint, kDecimal:
		return vt.setTypedNumber(dst, tv, strict)
	}
	return fmt.Errorf("cannot convert to a %s", vt.typ)
}

// setTypedNumber sets an integer or decimal64 from tv, through its decimal
// text so that range errors read as for JSON.
func (vt *valueType) setTypedNumber(dst reflect.Value, tv *gpb.TypedValue, strict bool) error {
	var text []byte
	switch v := tv.GetValue().(type) {
	case *gpb.TypedValue_IntVal:
		if strict && vt.kind == kDecimal {
			return tvMismatch(tv, "a double_val or decimal_val")
		}
		text = strconv.AppendInt(nil, v.IntVal, 10)
	case *gpb.TypedValue_UintVal:
		if strict && vt.kind == kDecimal {
			return tvMismatch(tv, "a double_val or decimal_val")
		}
		text = strconv.AppendUint(nil, v.UintVal, 10)
	case *gpb.TypedValue_DoubleVal:
		if strict && vt.kind != kDecimal {
			return tvMismatch(tv, "an int_val or uint_val")
		}
		text = strconv.AppendFloat(nil, v.DoubleVal, 'f', -1, 64)
	case *gpb.TypedValue_FloatVal:
		if strict && vt.kind != kDecimal {
			return tvMismatch(tv, "an int_val or uint_val")
		}
		// Shortest float32 digits: 0.1 stays 0.1, not 0.10000000149.
		text = strconv.AppendFloat(nil, float64(v.FloatVal), 'f', -1, 32)
	case *gpb.TypedValue_DecimalVal:
		if strict && vt.kind != kDecimal {
			return tvMismatch(tv, "an int_val or uint_val")
		}
		var err error
		if text, err = decimalText(v.DecimalVal); err != nil {
			return err
		}
	case *gpb.TypedValue_StringVal, *gpb.TypedValue_AsciiVal:
		if strict {
			return tvMismatch(tv, "a number")
		}
		s, _ := stringOf(tv)
		text = []byte(s)
	default:
		return tvMismatch(tv, "a "+vt.typeName())
	}
	return vt.setNumber(dst, text)
}

// decimalText writes a gNMI Decimal64 in decimal notation.
func decimalText(d *gpb.Decimal64) ([]byte, error) {
	p := int(d.GetPrecision())
	if p > 18 {
		return nil, fmt.Errorf("decimal_val precision %d is more than decimal64's 18 digits", p)
	}
	digits := d.GetDigits()
	neg := digits < 0
	abs := strconv.FormatUint(uint64(digits), 10)
	if neg {
		abs = strconv.FormatUint(uint64(-digits), 10) // -MinInt64 wraps to itself, which is its magnitude as uint64
	}
	if len(abs) <= p {
		abs = strings.Repeat("0", p-len(abs)+1) + abs
	}
	text := make([]byte, 0, len(abs)+2)
	if neg {
		text = append(text, '-')
	}
	text = append(text, abs[:len(abs)-p]...)
	if p > 0 {
		text = append(append(text, '.'), abs[len(abs)-p:]...)
	}
	return text, nil
}

func isBoolVal(tv *gpb.TypedValue) bool {
	_, ok := tv.GetValue().(*gpb.TypedValue_BoolVal)
	return ok
}

// stringOf returns the string of a string_val or ascii_val.
func stringOf(tv *gpb.TypedValue) (string, bool) {
	switch v := tv.GetValue().(type) {
	case *gpb.TypedValue_StringVal:
		return v.StringVal, true
	case *gpb.TypedValue_AsciiVal:
		return v.AsciiVal, true
	}
	return "", false
}

func tvMismatch(tv *gpb.TypedValue, want string) error {
	return fmt.Errorf("value %s is not %s", describeTV(tv), want)
}

// describeTV names a TypedValue's kind and value for messages, e.g.
// uint_val 70000.
func describeTV(tv *gpb.TypedValue) string {
	switch v := tv.GetValue().(type) {
	case *gpb.TypedValue_StringVal:
		return "string_val " + strconv.Quote(v.StringVal)
	case *gpb.TypedValue_AsciiVal:
		return "ascii_val " + strconv.Quote(v.AsciiVal)
	case *gpb.TypedValue_IntVal:
		return "int_val " + strconv.FormatInt(v.IntVal, 10)
	case *gpb.TypedValue_UintVal:
		return "uint_val " + strconv.FormatUint(v.UintVal, 10)
	case *gpb.TypedValue_BoolVal:
		return "bool_val " + strconv.FormatBool(v.BoolVal)
	case *gpb.TypedValue_DoubleVal:
		return "double_val " + strconv.FormatFloat(v.DoubleVal, 'g', -1, 64)
	case *gpb.TypedValue_FloatVal:
		return "float_val " + strconv.FormatFloat(float64(v.FloatVal), 'g', -1, 32)
	case *gpb.TypedValue_DecimalVal:
		return fmt.Sprintf("decimal_val %d/10^%d", v.DecimalVal.GetDigits(), v.DecimalVal.GetPrecision())
	case *gpb.TypedValue_BytesVal:
		return fmt.Sprintf("bytes_val of %d bytes", len(v.BytesVal))
	case *gpb.TypedValue_LeaflistVal:
		return fmt.Sprintf("leaflist_val of %d elements", len(v.LeaflistVal.GetElement()))
	case *gpb.TypedValue_JsonVal:
		return "json_val " + string(v.JsonVal)
	case *gpb.TypedValue_JsonIetfVal:
		return "json_ietf_val " + string(v.JsonIetfVal)
	case nil:
		return "no value"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", tv.GetValue()), "*gnmi.TypedValue_")
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// does without HTML escaping (as ygot.EmitJSON): quotes, backslashes,
// control characters, U+2028 and U+2029; invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// enumType maps the values of a generated enum type to their YANG names,
// from the ΛMap that ygot generates.
type enumType struct {
	typ       reflect.Type
	identity  bool // an identityref: names carry their defining module
	names     map[int64]enumName
	bare      map[string]int64 // by name without module
	qualified map[string]int64 // by module:name, for identities
	ambiguous map[string]bool  // names defined by several modules
}

type enumName struct {
	name      string // NAME
	qualified string // module:NAME for an identity, NAME for an enumeration
}

func enumTypeOf(t reflect.Type) (*enumType, error) {
	if e, ok := enumTypes.Load(t); ok {
		return e.(*enumType), nil
	}
	defs, ok := reflect.Zero(t).Interface().(ygot.GoEnum).ΛMap()[t.Name()]
	if !ok {
		return nil, fmt.Errorf("enum type %s is not in its ΛMap", t)
	}
	e := &enumType{
		typ:       t,
		names:     make(map[int64]enumName, len(defs)),
		bare:      make(map[string]int64, len(defs)),
		qualified: map[string]int64{},
		ambiguous: map[string]bool{},
	}
	for n, d := range defs {
		en := enumName{name: d.Name, qualified: d.Name}
		if d.DefiningModule != "" {
			e.identity = true
			en.qualified = d.DefiningModule + ":" + d.Name
			e.qualified[en.qualified] = n
		}
		e.names[n] = en
		if _, dup := e.bare[d.Name]; dup {
			e.ambiguous[d.Name] = true
		}
		e.bare[d.Name] = n
	}
	actual, _ := enumTypes.LoadOrStore(t, e)
	return actual.(*enumType), nil
}

func (e *enumType) kindName() string {
	if e.identity {
		return "identityref " + e.typ.Name()
	}
	return "enumeration " + e.typ.Name()
}

// name returns the YANG name of value n; qualify prefixes an identity with
// its module, as RFC 7951 requires.
func (e *enumType) name(n int64, qualify bool) (string, error) {
	nm, ok := e.names[n]
	switch {
	case !ok && n == 0:
		return "", fmt.Errorf("%s value is unset", e.kindName())
	case !ok:
		return "", fmt.Errorf("%d is not a value of %s", n, e.kindName())
	case qualify:
		return nm.qualified, nil
	}
	return nm.name, nil
}

// value returns the value named b: NAME, or module:NAME for an identity
// (RFC 7951 section 6.8). A module prefix must be the defining module.
func (e *enumType) value(b []byte) (int64, error) {
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		n, ok := e.bare[string(b)]
		switch {
		case !ok:
			return 0, fmt.Errorf("%q is not a value of %s", b, e.kindName())
		case e.ambiguous[string(b)]:
			return 0, fmt.Errorf("identity %q is defined by several modules: prefix it with its module", b)
		}
		return n, nil
	}
	if n, ok := e.qualified[string(b)]; ok {
		return n, nil
	}
	name := b[i+1:]
	n, ok := e.bare[string(name)]
	switch {
	case !ok:
		return 0, fmt.Errorf("%q is not a value of %s", b, e.kindName())
	case !e.identity:
		return 0, fmt.Errorf("enumeration value %q takes no module prefix", b)
	}
	module, _, _ := strings.Cut(e.names[n].qualified, ":")
	return 0, fmt.Errorf("identity %q is defined in module %q, not %q", name, module, b[:i])
}

// unionType lists the member types of a generated union interface.
type unionType struct {
	// members are the enums first, then the other types in YANG order: the
	// order ytypes tries them in, so that a string naming an enum value is
	// that value rather than a string.
	members []*valueType
	names   string // for messages
}

// unionType returns the members of the union the leaf holds.
func (c *leafCodec) unionType() (*unionType, error) {
	if u := c.union.Load(); u != nil {
		return u, nil
	}
	u, err := unionTypeOf(c.typ, c.field.Entry)
	if err != nil {
		return nil, err
	}
	c.union.Store(u)
	return u, nil
}

func unionTypeOf(iface reflect.Type, entry *yang.Entry) (*unionType, error) {
	if u, ok := unionTypes.Load(iface); ok {
		return u.(*unionType), nil
	}
	owner, ok := unionOwners.Load(iface)
	if !ok {
		return nil, fmt.Errorf("the member types of union %s are not indexed yet (Schema.Prepare indexes them)", iface.Name())
	}
	u, err := newUnionType(iface, owner.(reflect.Type), entry)
	if err != nil {
		return nil, err
	}
	actual, _ := unionTypes.LoadOrStore(iface, u)
	return actual.(*unionType), nil
}

// registerUnions records st as the owner of its union fields.
func registerUnions(st *Struct) {
	for _, f := range st.Fields {
		t := f.Type
		if f.Kind == LeafList {
			t = t.Elem()
		}
		if (f.Kind == Leaf || f.Kind == LeafList) && t.Kind() == reflect.Interface {
			unionOwners.LoadOrStore(t, reflect.PointerTo(st.Type))
		}
	}
}

// newUnionType finds the members of union iface held by a struct of type
// owner, as ytypes does: the enums that ΛEnumTypeMap lists for the leaf,
// then the wrapper types that the To_ method makes of a value of each
// other YANG type of the union.
func newUnionType(iface, owner reflect.Type, entry *yang.Entry) (*unionType, error) {
	resolved, err := util.ResolveIfLeafRef(entry)
	if err != nil {
		return nil, err
	}
	u := &unionType{}
	seen := map[reflect.Type]bool{}
	add := func(t reflect.Type) error {
		if seen[t] {
			return nil
		}
		seen[t] = true
		vt, err := valueTypeOf(t)
		if err != nil {
			return err
		}
		u.members = append(u.members, vt)
		return nil
	}
	ov := reflect.New(owner.Elem())
	if m := ov.MethodByName("ΛEnumTypeMap"); m.IsValid() {
		etm, _ := m.Call(nil)[0].Interface().(map[string][]reflect.Type)
		ets := etm[enumMapPath(entry)]
		if len(ets) == 0 {
			ets = etm[enumMapPath(resolved)]
		}
		for _, et := range ets {
			if et.Implements(iface) {
				if err := add(et); err != nil {
					return nil, err
				}
			}
		}
	}
	to := ov.MethodByName("To_" + iface.Name())
	if !to.IsValid() {
		return nil, fmt.Errorf("%s has no To_%s method", owner, iface.Name())
	}
	kinds, err := unionKinds(resolved, resolved.Type, nil)
	if err != nil {
		return nil, err
	}
	for _, k := range kinds {
		gv, ok := goValueOfKind(k)
		if !ok {
			continue
		}
		out := to.Call([]reflect.Value{reflect.ValueOf(gv)})
		if !out[1].IsNil() || out[0].IsNil() {
			continue
		}
		if err := add(out[0].Elem().Type()); err != nil {
			return nil, err
		}
	}
	if len(u.members) == 0 {
		return nil, fmt.Errorf("union %s has no member types ygot supports", iface.Name())
	}
	names := make([]string, len(u.members))
	for i, m := range u.members {
		names[i] = m.typeName()
	}
	u.names = strings.Join(names, ", ")
	return u, nil
}

// unionKinds lists the non-enum YANG types of a union, through typedefs,
// nested unions and leafrefs, once each.
func unionKinds(e *yang.Entry, t *yang.YangType, out []yang.TypeKind) ([]yang.TypeKind, error) {
	switch t.Kind {
	case yang.Yenum, yang.Yidentityref:
	case yang.Yleafref:
		target, err := util.FindLeafRefSchema(e, t.Path)
		if err != nil {
			return nil, err
		}
		return unionKinds(target, target.Type, out)
	case yang.Yunion:
		for _, m := range t.Type {
			var err error
			if out, err = unionKinds(e, m, out); err != nil {
				return nil, err
			}
		}
	default:
		for _, k := range out {
			if k == t.Kind {
				return out, nil
			}
		}
		out = append(out, t.Kind)
	}
	return out, nil
}

// goValueOfKind is the Go value ytypes passes to a To_ method for a value
// of YANG type k.
func goValueOfKind(k yang.TypeKind) (any, bool) {
	switch k {
	case yang.Yint8:
		return int8(0), true
	case yang.Yint16:
		return int16(0), true
	case yang.Yint32:
		return int32(0), true
	case yang.Yint64:
		return int64(0), true
	case yang.Yuint8:
		return uint8(0), true
	case yang.Yuint16:
		return uint16(0), true
	case yang.Yuint32:
		return uint32(0), true
	case yang.Yuint64:
		return uint64(0), true
	case yang.Ydecimal64:
		return float64(0), true
	case yang.Ystring:
		return "", true
	case yang.Ybool:
		return false, true
	case yang.Ybinary:
		return []byte{}, true
	case yang.Yempty:
		return true, true
	}
	return nil, false
}

// enumMapPath is the key of ΛEnumTypeMap: the schema path without modules,
// fake root, choices and cases.
func enumMapPath(e *yang.Entry) string {
	var elems []string
	for ; e != nil; e = e.Parent {
		if !util.IsChoiceOrCase(e) && !util.IsFakeRoot(e) {
			elems = append(elems, e.Name)
		}
	}
	var b strings.Builder
	for i := len(elems) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(elems[i])
	}
	return b.String()
}

// decode sets dst, of the union interface type, to the first member that
// tok converts to: first with the JSON type the format gives the member,
// then leniently (a number in a string, as in a path key).
func (u *unionType) decode(dst reflect.Value, tok jsonToken, ietf bool) error {
	for _, strict := range [...]bool{true, false} {
		for _, m := range u.members {
			w := reflect.New(m.typ).Elem()
			if m.decode(w, tok, ietf, strict) == nil {
				dst.Set(w)
				return nil
			}
		}
	}
	return fmt.Errorf("value %s matches no member of the union (%s)", tok, u.names)
}
