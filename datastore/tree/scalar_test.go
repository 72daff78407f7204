package tree

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nwmo/nwmo/gen/nwmomodel"
	"github.com/nwmo/nwmo/gen/oc"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/protobuf/testing/protocmp"
)

// leafAt returns the field and Go value that gNMI path p names below root.
func leafAt(t *testing.T, s *Schema, root reflect.Value, p *gpb.Path) (*Field, reflect.Value) {
	t.Helper()
	st, v := s.Root, root
	elems := p.GetElem()
	for i, e := range elems {
		f := st.Child(e.GetName())
		if f == nil {
			t.Fatalf("%v: no %s in %s", p, e.GetName(), st.Path())
		}
		fv := v.Elem().Field(f.Index)
		if i == len(elems)-1 {
			return f, fv
		}
		st, v = f.Struct, fv
		if f.Kind == List {
			v = reflect.Value{}
			for _, k := range fv.MapKeys() {
				if keysEqual(f, k, e.GetKey()) {
					v = fv.MapIndex(k)
				}
			}
			if !v.IsValid() {
				t.Fatalf("%v: no entry %v", p, e.GetKey())
			}
		}
	}
	t.Fatalf("%v names no leaf", p)
	return nil, reflect.Value{}
}

func keysEqual(f *Field, key reflect.Value, want map[string]string) bool {
	for i, kf := range f.Struct.Keys {
		v := key
		if len(f.KeyFields) > 0 {
			v = key.Field(f.KeyFields[i])
		}
		if keyLeafText(v) != want[kf.Name] {
			return false
		}
	}
	return true
}

// TestLeafRoundTrips converts every leaf of the test configs both ways, to
// TypedValues and to JSON values, and checks the TypedValues against
// ygot's.
func TestLeafRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		s    *Schema
		root ygot.GoStruct
	}{
		{"oc", mustCompile(t, oc.Schema), testDevice()},
		{"nwmomodel", mustCompile(t, nwmomodel.Schema), testNwmoRoot()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Prepare(); err != nil {
				t.Fatal(err)
			}
			ns, err := ygot.TogNMINotifications(withoutUnkeyedLists(t, tt.root), 0, ygot.GNMINotificationsConfig{UsePathElem: true})
			if err != nil {
				t.Fatal(err)
			}
			leaves := 0
			for _, n := range ns {
				for _, u := range n.GetUpdate() {
					leaves++
					f, fv := leafAt(t, tt.s, reflect.ValueOf(tt.root), u.GetPath())
					path := pathString(u.GetPath())
					got, err := f.TypedValue(fv)
					if err != nil {
						t.Errorf("%s: TypedValue: %v", path, err)
						continue
					}
					if diff := cmp.Diff(u.GetVal(), got, protocmp.Transform()); diff != "" {
						t.Errorf("%s: TypedValue differs from TogNMINotifications' (-want +got):\n%s", path, diff)
					}
					want, err := ygot.EncodeTypedValue(fv.Interface(), gpb.Encoding_JSON_IETF)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
						t.Errorf("%s: TypedValue differs from ygot.EncodeTypedValue (-want +got):\n%s", path, diff)
					}
					back, err := f.FromTypedValue(got)
					if err != nil {
						t.Errorf("%s: FromTypedValue(%v): %v", path, got, err)
					} else if diff := cmp.Diff(fv.Interface(), back.Interface()); diff != "" {
						t.Errorf("%s: FromTypedValue(TypedValue) (-want +got):\n%s", path, diff)
					}
					for _, ietf := range []bool{true, false} {
						j, err := f.JSONValue(fv, ietf)
						if err != nil {
							t.Errorf("%s: JSONValue(ietf=%v): %v", path, ietf, err)
							continue
						}
						// Through encoding/json, as a client would send it.
						data, _ := json.Marshal(j)
						tv := &gpb.TypedValue{Value: &gpb.TypedValue_JsonVal{JsonVal: data}}
						if ietf {
							tv.Value = &gpb.TypedValue_JsonIetfVal{JsonIetfVal: data}
						}
						back, err := f.FromTypedValue(tv)
						if err != nil {
							t.Errorf("%s: FromTypedValue(%s): %v", path, data, err)
						} else if diff := cmp.Diff(fv.Interface(), back.Interface()); diff != "" {
							t.Errorf("%s: FromJSON(JSONValue(ietf=%v)) (-want +got):\n%s", path, ietf, diff)
						}
					}
				}
			}
			if leaves < 20 {
				t.Errorf("only %d leaves", leaves)
			}
			t.Logf("%d leaves", leaves)
		})
	}
}

// withoutUnkeyedLists returns a copy of root without its unkeyed lists,
// which ygot.TogNMINotifications fails on ("keyless list cannot be
// output"). TestTypedValueOfUnkeyedList covers them.
func withoutUnkeyedLists(t *testing.T, root ygot.GoStruct) ygot.GoStruct {
	c, err := ygot.DeepCopy(root)
	if err != nil {
		t.Fatal(err)
	}
	var strip func(v reflect.Value)
	strip = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() && v.Elem().Kind() == reflect.Struct {
				strip(v.Elem())
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				strip(it.Value())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				f := v.Field(i)
				if f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Pointer {
					f.SetZero()
				}
				strip(f)
			}
		}
	}
	strip(reflect.ValueOf(c))
	return c
}

func pathString(p *gpb.Path) string {
	s, _ := ygot.PathToString(p)
	return s
}

// ocLeaf returns the field at a slash-separated schema path of oc.
func ocLeaf(t *testing.T, s *Schema, path string) *Field {
	t.Helper()
	st := s.Root
	var f *Field
	for _, name := range strings.Split(strings.Trim(path, "/"), "/") {
		if f = st.Child(name); f == nil {
			t.Fatalf("no %s in %s", name, st.Path())
		}
		st = f.Struct
	}
	return f
}

const (
	mtuPath      = "/interfaces/interface/config/mtu"
	typePath     = "/interfaces/interface/config/type"
	loopbackPath = "/interfaces/interface/config/loopback-mode"
	octetsPath   = "/interfaces/interface/state/counters/in-octets"
	tempPath     = "/components/component/state/temperature/instant"
	nextHopPath  = "/network-instances/network-instance/protocols/protocol/static-routes/static/next-hops/next-hop/config/next-hop"
	setTagPath   = "/network-instances/network-instance/protocols/protocol/static-routes/static/config/set-tag"
	licensePath  = "/system/license/licenses/license/config/license-data"
	propertyPath = "/components/component/properties/property/config/value"
	areaPath     = "/network-instances/network-instance/protocols/protocol/ospfv2/areas/area/config/identifier"
	tlvValuePath = "/network-instances/network-instance/protocols/protocol/ospfv2/areas/area/lsdb/lsa-types/lsa-type/lsas/lsa/opaque-lsa/extended-link/tlvs/tlv/unknown-tlv/state/value"
	searchPath   = "/system/dns/config/search"
	communPath   = "/network-instances/network-instance/protocols/protocol/bgp/neighbors/neighbor/config/send-community-type"
	ntpDispPath  = "/system/ntp/servers/server/state/root-dispersion"
)

func TestFromJSON(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		j    any
		ietf bool
		want any // the Go value, or the error message
	}{
		{mtuPath, json.Number("1500"), true, ygot.Uint16(1500)},
		{mtuPath, float64(1500), true, ygot.Uint16(1500)},
		{mtuPath, json.Number("1.5e3"), true, ygot.Uint16(1500)},
		{mtuPath, "1500", false, ygot.Uint16(1500)},
		{mtuPath, nil, true, nil},
		{mtuPath, json.Number("70000"), true, "/interfaces/interface/config/mtu: value 70000 out of range for uint16"},
		{mtuPath, json.Number("-1"), true, "/interfaces/interface/config/mtu: value -1 out of range for uint16"},
		{mtuPath, json.Number("1.5"), true, `/interfaces/interface/config/mtu: value "1.5" is not a valid uint16`},
		{mtuPath, "abc", true, `/interfaces/interface/config/mtu: value "abc" is not a valid uint16`},
		{mtuPath, true, true, "/interfaces/interface/config/mtu: value true is not a uint16"},
		{mtuPath, []any{json.Number("1")}, true, "/interfaces/interface/config/mtu: got an array of 1 values, want a single value"},
		{octetsPath, "18446744073709551615", true, ygot.Uint64(math.MaxUint64)},
		{octetsPath, json.Number("18446744073709551615"), false, ygot.Uint64(math.MaxUint64)},
		{octetsPath, "18446744073709551616", true, "/interfaces/interface/state/counters/in-octets: value 18446744073709551616 out of range for uint64"},
		{ntpDispPath, "-9223372036854775808", true, ygot.Int64(math.MinInt64)},
		{ntpDispPath, "9223372036854775808", true, "/system/ntp/servers/server/state/root-dispersion: value 9223372036854775808 out of range for int64"},
		{ntpDispPath, "18446744073709551616", true, "/system/ntp/servers/server/state/root-dispersion: value 18446744073709551616 out of range for int64"},
		{ntpDispPath, "-18446744073709551617", true, "/system/ntp/servers/server/state/root-dispersion: value -18446744073709551617 out of range for int64"},
		{octetsPath, "-0", true, ygot.Uint64(0)},
		{octetsPath, "184467440737095516150", true, "/interfaces/interface/state/counters/in-octets: value 184467440737095516150 out of range for uint64"},
		{tempPath, "45.5", true, ygot.Float64(45.5)},
		{tempPath, json.Number("-0.125"), false, ygot.Float64(-0.125)},
		{tempPath, "NaN", true, `/components/component/state/temperature/instant: value "NaN" is not a valid decimal64`},
		{tempPath, "1e400", true, `/components/component/state/temperature/instant: value 1e400 out of range for decimal64`},
		{typePath, "iana-if-type:ethernetCsmacd", true, oc.IETFInterfaces_InterfaceType_ethernetCsmacd},
		{typePath, "ethernetCsmacd", false, oc.IETFInterfaces_InterfaceType_ethernetCsmacd},
		{typePath, "ethernetCsmacd", true, oc.IETFInterfaces_InterfaceType_ethernetCsmacd},
		{typePath, "iana-if-type:nope", true, `/interfaces/interface/config/type: "iana-if-type:nope" is not a value of identityref E_IETFInterfaces_InterfaceType`},
		{typePath, "oc-ift:ethernetCsmacd", true, `/interfaces/interface/config/type: identity "ethernetCsmacd" is defined in module "iana-if-type", not "oc-ift"`},
		{loopbackPath, "FACILITY", true, oc.OpenconfigTransportTypes_LoopbackModeType_FACILITY},
		{loopbackPath, "m:FACILITY", true, `/interfaces/interface/config/loopback-mode: enumeration value "m:FACILITY" takes no module prefix`},
		{loopbackPath, "facility", true, `/interfaces/interface/config/loopback-mode: "facility" is not a value of enumeration E_OpenconfigTransportTypes_LoopbackModeType`},
		{nextHopPath, "192.0.2.1", true, oc.UnionString("192.0.2.1")},
		{nextHopPath, "DROP", true, oc.OpenconfigLocalRouting_LOCAL_DEFINED_NEXT_HOP_DROP},
		{nextHopPath, "openconfig-local-routing:DROP", true, oc.OpenconfigLocalRouting_LOCAL_DEFINED_NEXT_HOP_DROP},
		{nextHopPath, json.Number("1"), true, nextHopPath + ": value 1 matches no member of the union (identityref E_OpenconfigLocalRouting_LOCAL_DEFINED_NEXT_HOP, string)"},
		{setTagPath, json.Number("42"), true, oc.UnionUint32(42)},
		{setTagPath, "42", true, oc.UnionString("42")},
		{setTagPath, json.Number("4294967296"), true, setTagPath + ": value 4294967296 matches no member of the union (uint32, string)"},
		{licensePath, "AAEC", true, oc.Binary{0, 1, 2}},
		{licensePath, "not base64", true, oc.UnionString("not base64")},
		// A union of string, boolean, int64, uint64 and decimal64: RFC 7951
		// writes the numbers as strings, so they come back as strings.
		{propertyPath, "5", true, oc.UnionString("5")},
		{propertyPath, true, true, oc.UnionBool(true)},
		{propertyPath, json.Number("5"), false, oc.UnionInt64(5)},
		{propertyPath, json.Number("1e19"), false, oc.UnionUint64(1e19)},
		{propertyPath, json.Number("0.5"), false, oc.UnionFloat64(0.5)},
		{areaPath, json.Number("1"), true, oc.UnionUint32(1)},
		{areaPath, "0.0.0.0", true, oc.UnionString("0.0.0.0")},
		{tlvValuePath, "AQIDBA==", true, oc.Binary{1, 2, 3, 4}},
		{tlvValuePath, "AQIDBA", true, tlvValuePath + `: value "AQIDBA" is not base64: illegal base64 data at input byte 4`},
		{searchPath, []any{"a", "b"}, true, []string{"a", "b"}},
		{searchPath, []any{}, true, nil},
		{searchPath, "a", true, "/system/dns/config/search: got a, want a JSON array for a leaf-list"},
		{searchPath, []any{"a", json.Number("1")}, true, "/system/dns/config/search: element 1: value 1 is not a string"},
		{communPath, []any{"STANDARD", "LARGE"}, true, []oc.E_OpenconfigBgpTypes_CommunityType{oc.OpenconfigBgpTypes_CommunityType_STANDARD, oc.OpenconfigBgpTypes_CommunityType_LARGE}},
	}
	for _, tt := range tests {
		f := ocLeaf(t, s, tt.path)
		got, err := f.FromJSON(tt.j, tt.ietf)
		if msg, ok := tt.want.(string); ok && isErrorCase(msg) {
			if err == nil {
				t.Errorf("FromJSON(%s, %#v) = %v, want error %s", tt.path, tt.j, got, msg)
			} else if err.Error() != msg || !errors.Is(err, ErrBadValue) {
				t.Errorf("FromJSON(%s, %#v) error:\n got %v\nwant %s", tt.path, tt.j, err, msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("FromJSON(%s, %#v): %v", tt.path, tt.j, err)
			continue
		}
		var gotI any
		if got.IsValid() {
			gotI = got.Interface()
		}
		if diff := cmp.Diff(tt.want, gotI); diff != "" {
			t.Errorf("FromJSON(%s, %#v) (-want +got):\n%s", tt.path, tt.j, diff)
		}
		if got.IsValid() && !got.Type().AssignableTo(f.Type) {
			t.Errorf("FromJSON(%s) gives a %s, not assignable to %s", tt.path, got.Type(), f.Type)
		}
	}
}

// isErrorCase tells expected errors from expected string values in the
// tables: errors start with the schema path.
func isErrorCase(s string) bool { return strings.HasPrefix(s, "/") }

func TestJSONValue(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	tests := []struct {
		path string
		v    any
		ietf bool
		want any
	}{
		{mtuPath, ygot.Uint16(1500), true, json.Number("1500")},
		{mtuPath, (*uint16)(nil), true, nil},
		{octetsPath, ygot.Uint64(math.MaxUint64), true, "18446744073709551615"},
		{octetsPath, ygot.Uint64(math.MaxUint64), false, json.Number("18446744073709551615")},
		{tempPath, ygot.Float64(1e6), true, "1000000"},
		{tempPath, ygot.Float64(45.5), false, json.Number("45.5")},
		{typePath, oc.IETFInterfaces_InterfaceType_ethernetCsmacd, true, "iana-if-type:ethernetCsmacd"},
		{typePath, oc.IETFInterfaces_InterfaceType_ethernetCsmacd, false, "ethernetCsmacd"},
		{typePath, oc.IETFInterfaces_InterfaceType_UNSET, true, nil},
		{loopbackPath, oc.OpenconfigTransportTypes_LoopbackModeType_FACILITY, true, "FACILITY"},
		{nextHopPath, oc.OpenconfigLocalRouting_LOCAL_DEFINED_NEXT_HOP_DROP, true, "openconfig-local-routing:DROP"},
		{nextHopPath, oc.UnionString("192.0.2.1"), true, "192.0.2.1"},
		{setTagPath, oc.UnionUint32(42), true, json.Number("42")},
		{propertyPath, oc.UnionInt64(-5), true, "-5"},
		{propertyPath, oc.UnionInt64(-5), false, json.Number("-5")},
		{licensePath, oc.Binary("hi"), true, "aGk="},
		{searchPath, []string{"a", "b"}, true, []any{"a", "b"}},
		{searchPath, []string{}, true, nil},
		{communPath, []oc.E_OpenconfigBgpTypes_CommunityType{oc.OpenconfigBgpTypes_CommunityType_LARGE}, true, []any{"LARGE"}},
	}
	for _, tt := range tests {
		f := ocLeaf(t, s, tt.path)
		v := reflect.New(f.Type).Elem()
		v.Set(reflect.ValueOf(tt.v))
		got, err := f.JSONValue(v, tt.ietf)
		if err != nil {
			t.Errorf("JSONValue(%s, %v): %v", tt.path, tt.v, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("JSONValue(%s, %v, ietf=%v) (-want +got):\n%s", tt.path, tt.v, tt.ietf, diff)
		}
	}
}

func TestFromTypedValue(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *gpb.TypedValue { return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: s}} }
	i64 := func(i int64) *gpb.TypedValue { return &gpb.TypedValue{Value: &gpb.TypedValue_IntVal{IntVal: i}} }
	u64 := func(u uint64) *gpb.TypedValue { return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: u}} }
	dbl := func(f float64) *gpb.TypedValue {
		return &gpb.TypedValue{Value: &gpb.TypedValue_DoubleVal{DoubleVal: f}}
	}
	jsonV := func(s string) *gpb.TypedValue {
		return &gpb.TypedValue{Value: &gpb.TypedValue_JsonVal{JsonVal: []byte(s)}}
	}
	ietfV := func(s string) *gpb.TypedValue {
		return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(s)}}
	}
	list := func(es ...*gpb.TypedValue) *gpb.TypedValue {
		return &gpb.TypedValue{Value: &gpb.TypedValue_LeaflistVal{LeaflistVal: &gpb.ScalarArray{Element: es}}}
	}
	tests := []struct {
		path string
		tv   *gpb.TypedValue
		want any // the Go value, or the error message
	}{
		{mtuPath, u64(1500), ygot.Uint16(1500)},
		{mtuPath, i64(1500), ygot.Uint16(1500)},
		{mtuPath, str("1500"), ygot.Uint16(1500)},
		{mtuPath, dbl(1500), ygot.Uint16(1500)},
		{mtuPath, jsonV("1500"), ygot.Uint16(1500)},
		{mtuPath, ietfV(" 1500 "), ygot.Uint16(1500)},
		{mtuPath, &gpb.TypedValue{Value: &gpb.TypedValue_DecimalVal{DecimalVal: &gpb.Decimal64{Digits: 150000, Precision: 2}}}, ygot.Uint16(1500)},
		{mtuPath, u64(70000), "/interfaces/interface/config/mtu: value 70000 out of range for uint16"},
		{mtuPath, i64(-1), "/interfaces/interface/config/mtu: value -1 out of range for uint16"},
		{mtuPath, dbl(1.5), `/interfaces/interface/config/mtu: value "1.5" is not a valid uint16`},
		{mtuPath, str("x"), `/interfaces/interface/config/mtu: value "x" is not a valid uint16`},
		{mtuPath, &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: true}}, "/interfaces/interface/config/mtu: value bool_val true is not a uint16"},
		{mtuPath, &gpb.TypedValue{}, "/interfaces/interface/config/mtu: no value given"},
		{mtuPath, nil, "/interfaces/interface/config/mtu: no value given"},
		{mtuPath, list(u64(1)), "/interfaces/interface/config/mtu: got a leaflist_val for a leaf"},
		{mtuPath, jsonV("{"), "/interfaces/interface/config/mtu: bad JSON value \"{\": unexpected EOF"},
		{octetsPath, u64(math.MaxUint64), ygot.Uint64(math.MaxUint64)},
		{ntpDispPath, i64(math.MinInt64), ygot.Int64(math.MinInt64)},
		{ntpDispPath, u64(math.MaxUint64), "/system/ntp/servers/server/state/root-dispersion: value 18446744073709551615 out of range for int64"},
		{tempPath, dbl(45.5), ygot.Float64(45.5)},
		{tempPath, &gpb.TypedValue{Value: &gpb.TypedValue_FloatVal{FloatVal: 0.1}}, ygot.Float64(0.1)},
		{tempPath, &gpb.TypedValue{Value: &gpb.TypedValue_DecimalVal{DecimalVal: &gpb.Decimal64{Digits: -4550, Precision: 2}}}, ygot.Float64(-45.5)},
		{tempPath, &gpb.TypedValue{Value: &gpb.TypedValue_DecimalVal{DecimalVal: &gpb.Decimal64{Digits: 5, Precision: 3}}}, ygot.Float64(0.005)},
		{tempPath, &gpb.TypedValue{Value: &gpb.TypedValue_DecimalVal{DecimalVal: &gpb.Decimal64{Digits: 5, Precision: 19}}}, "/components/component/state/temperature/instant: decimal_val precision 19 is more than decimal64's 18 digits"},
		{tempPath, i64(45), ygot.Float64(45)},
		{tempPath, str("45.5"), ygot.Float64(45.5)},
		{tempPath, ietfV(`"45.5"`), ygot.Float64(45.5)},
		{tempPath, dbl(math.Inf(1)), `/components/component/state/temperature/instant: value "+Inf" is not a valid decimal64`},
		{typePath, str("ethernetCsmacd"), oc.IETFInterfaces_InterfaceType_ethernetCsmacd},
		{typePath, str("iana-if-type:ethernetCsmacd"), oc.IETFInterfaces_InterfaceType_ethernetCsmacd},
		{typePath, &gpb.TypedValue{Value: &gpb.TypedValue_AsciiVal{AsciiVal: "softwareLoopback"}}, oc.IETFInterfaces_InterfaceType_softwareLoopback},
		{typePath, u64(1), "/interfaces/interface/config/type: value uint_val 1 is not a string_val naming a value of identityref E_IETFInterfaces_InterfaceType"},
		{typePath, str("x:ethernetCsmacd"), `/interfaces/interface/config/type: identity "ethernetCsmacd" is defined in module "iana-if-type", not "x"`},
		{nextHopPath, str("DROP"), oc.OpenconfigLocalRouting_LOCAL_DEFINED_NEXT_HOP_DROP},
		{nextHopPath, str("192.0.2.1"), oc.UnionString("192.0.2.1")},
		{nextHopPath, ietfV(`"openconfig-local-routing:LOCAL_LINK"`), oc.OpenconfigLocalRouting_LOCAL_DEFINED_NEXT_HOP_LOCAL_LINK},
		{setTagPath, u64(42), oc.UnionUint32(42)},
		{setTagPath, i64(42), oc.UnionUint32(42)},
		{setTagPath, str("42"), oc.UnionString("42")},
		{setTagPath, i64(-1), setTagPath + ": value int_val -1 matches no member of the union (uint32, string)"},
		{licensePath, &gpb.TypedValue{Value: &gpb.TypedValue_BytesVal{BytesVal: []byte{0, 1}}}, oc.Binary{0, 1}},
		{licensePath, str("text"), oc.UnionString("text")},
		{propertyPath, i64(-5), oc.UnionInt64(-5)},
		{propertyPath, u64(5), oc.UnionInt64(5)},
		{propertyPath, dbl(0.5), oc.UnionFloat64(0.5)},
		{propertyPath, &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: false}}, oc.UnionBool(false)},
		{areaPath, u64(7), oc.UnionUint32(7)},
		{tlvValuePath, &gpb.TypedValue{Value: &gpb.TypedValue_BytesVal{BytesVal: []byte{9}}}, oc.Binary{9}},
		{tlvValuePath, str("CQ=="), oc.Binary{9}},
		{searchPath, list(str("a"), str("b")), []string{"a", "b"}},
		{searchPath, jsonV(`["a","b"]`), []string{"a", "b"}},
		{searchPath, list(), nil},
		{searchPath, str("a"), "/system/dns/config/search: got string_val \"a\", want a leaflist_val for a leaf-list"},
		{searchPath, list(str("a"), u64(1)), "/system/dns/config/search: element 1: value uint_val 1 is not a string_val"},
		{communPath, list(str("LARGE"), str("STANDARD")), []oc.E_OpenconfigBgpTypes_CommunityType{oc.OpenconfigBgpTypes_CommunityType_LARGE, oc.OpenconfigBgpTypes_CommunityType_STANDARD}},
	}
	for _, tt := range tests {
		f := ocLeaf(t, s, tt.path)
		got, err := f.FromTypedValue(tt.tv)
		if msg, ok := tt.want.(string); ok && isErrorCase(msg) {
			if err == nil {
				t.Errorf("FromTypedValue(%s, %v) = %v, want error %s", tt.path, tt.tv, got, msg)
			} else if err.Error() != msg || !errors.Is(err, ErrBadValue) {
				t.Errorf("FromTypedValue(%s, %v) error:\n got %v\nwant %s", tt.path, tt.tv, err, msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("FromTypedValue(%s, %v): %v", tt.path, tt.tv, err)
			continue
		}
		var gotI any
		if got.IsValid() {
			gotI = got.Interface()
		}
		if diff := cmp.Diff(tt.want, gotI); diff != "" {
			t.Errorf("FromTypedValue(%s, %v) (-want +got):\n%s", tt.path, tt.tv, diff)
		}
	}
}

func TestTypedValueOfUnkeyedList(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	d := testDevice()
	ns := d.NetworkInstances.NetworkInstance["DEFAULT"].Protocols.Protocol[oc.OpenconfigNetworkInstance_NetworkInstances_NetworkInstance_Protocols_Protocol_Key{
		Identifier: oc.OpenconfigPolicyTypes_INSTALL_PROTOCOL_TYPE_OSPF, Name: "ospf"}]
	tlvs := ns.Ospfv2.Areas.Area[oc.UnionString("0.0.0.0")].Lsdb.LsaTypes.LsaType[oc.OpenconfigOspfTypes_OSPF_LSA_TYPE_OSPFV2_LINK_SCOPE_OPAQUE_LSA].Lsas.Lsa["192.0.2.9"].OpaqueLsa.ExtendedLink.Tlvs
	f := s.Struct(reflect.TypeOf(tlvs)).Child("tlv")
	got, err := f.TypedValue(reflect.ValueOf(tlvs).Elem().Field(f.Index))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"state":{"type":"openconfig-ospf-types:ADJACENCY_SID"}},{"unknown-tlv":{"state":{"length":4,"type":99,"value":"AQIDBA=="}}}]`
	if diff := cmp.Diff(want, string(got.GetJsonIetfVal())); diff != "" {
		t.Errorf("TypedValue of an unkeyed list (-want +got):\n%s", diff)
	}
}

// YANGEmpty stands for a generated empty type, which neither model has:
// the codec knows it by its name, as ygot does.
type YANGEmpty bool

// TestValueTypes covers value types that the models lack.
func TestValueTypes(t *testing.T) {
	for _, tt := range []struct {
		v          any
		ietf, json string
	}{
		{YANGEmpty(true), "[null]", "true"},
		{int8(-128), "-128", "-128"},
		{int16(32767), "32767", "32767"},
		{int32(-5), "-5", "-5"},
		{int64(-5), `"-5"`, "-5"},
		{uint8(255), "255", "255"},
		{"a\"\\\x00\u2028\xff", `"a\"\\\u0000\u2028\ufffd"`, `"a\"\\\u0000\u2028\ufffd"`},
	} {
		vt, err := valueTypeOf(reflect.TypeOf(tt.v))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			ietf bool
			want string
		}{{true, tt.ietf}, {false, tt.json}} {
			got, err := vt.appendJSON(nil, reflect.ValueOf(tt.v), c.ietf)
			if err != nil || string(got) != c.want {
				t.Errorf("appendJSON(%#v, ietf=%v) = %s, %v; want %s", tt.v, c.ietf, got, err, c.want)
			}
			if vt.kind == kString {
				continue // invalid UTF-8 does not come back
			}
			var j any
			d := json.NewDecoder(strings.NewReader(string(got)))
			d.UseNumber()
			if err := d.Decode(&j); err != nil {
				t.Fatal(err)
			}
			tok, err := tokenOf(j)
			if err != nil {
				t.Fatal(err)
			}
			back := reflect.New(vt.typ).Elem()
			if err := vt.decode(back, tok, c.ietf, true); err != nil || back.Interface() != tt.v {
				t.Errorf("decode(%s, ietf=%v) = %v, %v; want %v", got, c.ietf, back, err, tt.v)
			}
		}
	}
	vt, _ := valueTypeOf(reflect.TypeOf(int8(0)))
	for _, in := range []string{"128", "-129"} {
		if err := vt.decode(reflect.New(vt.typ).Elem(), jsonToken{kind: tNumber, text: []byte(in)}, true, true); err == nil || !strings.Contains(err.Error(), "out of range for int8") {
			t.Errorf("decode(%s) into int8: %v", in, err)
		}
	}
	if _, err := valueTypeOf(reflect.TypeOf(complex64(0))); err == nil {
		t.Error("valueTypeOf(complex64) succeeded")
	}
}
