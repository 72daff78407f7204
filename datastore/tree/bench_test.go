package tree

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/nwmo/nwmo/gen/oc"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
)

// benchDevice returns n interfaces, each with a config of five leaves and
// one subinterface: 10,000 of them make about 2 MB of RFC 7951 JSON.
func benchDevice(n int) *oc.Device {
	d := &oc.Device{}
	ifs := d.GetOrCreateInterfaces()
	for i := range n {
		name := fmt.Sprintf("Ethernet%d/%d/%d", i/1000+1, i/50%20+1, i%50+1)
		intf := ifs.GetOrCreateInterface(name)
		c := intf.GetOrCreateConfig()
		c.Name = ygot.String(name)
		c.Description = ygot.String(fmt.Sprintf("customer port %d", i))
		c.Mtu = ygot.Uint16(9100)
		c.Enabled = ygot.Bool(i%7 != 0)
		c.Type = oc.IETFInterfaces_InterfaceType_ethernetCsmacd
		sub := intf.GetOrCreateSubinterfaces().GetOrCreateSubinterface(0)
		sub.GetOrCreateConfig().Index = ygot.Uint32(0)
		sub.GetOrCreateConfig().Enabled = ygot.Bool(true)
	}
	return d
}

func benchEncode(b *testing.B, n int, ietf bool) {
	s := mustCompile(b, oc.Schema)
	v := reflect.ValueOf(benchDevice(n))
	buf, err := s.AppendJSON(nil, s.Root, v, "", ietf)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if buf, err = s.AppendJSON(buf[:0], s.Root, v, "", ietf); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecode(b *testing.B, n int, ietf bool) {
	s := mustCompile(b, oc.Schema)
	data, err := s.AppendJSON(nil, s.Root, reflect.ValueOf(benchDevice(n)), "", ietf)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := s.DecodeJSON(data, s.Root, reflect.ValueOf(&oc.Device{}), ietf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeJSON10k(b *testing.B)         { benchEncode(b, 10000, true) }
func BenchmarkDecodeJSON10k(b *testing.B)         { benchDecode(b, 10000, true) }
func BenchmarkEncodeInternalJSON10k(b *testing.B) { benchEncode(b, 10000, false) }
func BenchmarkDecodeInternalJSON10k(b *testing.B) { benchDecode(b, 10000, false) }
func BenchmarkEncodeJSON1k(b *testing.B)          { benchEncode(b, 1000, true) }
func BenchmarkDecodeJSON1k(b *testing.B)          { benchDecode(b, 1000, true) }

// BenchmarkYgotEmitJSON1k is ygot's encoder on a tenth of the tree, without
// validation, for comparison.
func BenchmarkYgotEmitJSON1k(b *testing.B) {
	d := benchDevice(1000)
	cfg := &ygot.EmitJSONConfig{Format: ygot.RFC7951, SkipValidation: true, RFC7951Config: &ygot.RFC7951JSONConfig{AppendModuleName: true}}
	out, err := ygot.EmitJSON(d, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ygot.EmitJSON(d, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkYgotUnmarshal1k is ytypes' jsonDecoder on a tenth of the tree, for
// comparison.
func BenchmarkYgotUnmarshal1k(b *testing.B) {
	s := mustCompile(b, oc.Schema)
	data, err := s.AppendJSON(nil, s.Root, reflect.ValueOf(benchDevice(1000)), "", true)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := oc.Unmarshal(data, &oc.Device{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLeafTypedValue converts one leaf to a TypedValue and back.
func BenchmarkLeafTypedValue(b *testing.B) {
	s := mustCompile(b, oc.Schema)
	f := s.Root.Child("interfaces").Struct.Child("interface").Struct.Child("config").Struct.Child("type")
	v := reflect.ValueOf(oc.IETFInterfaces_InterfaceType_ethernetCsmacd)
	f.TypedValue(v) // compiles the leaf's codec
	b.ReportAllocs()
	for b.Loop() {
		tv, err := f.TypedValue(v)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.FromTypedValue(tv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkYgotLeafTypedValue is ygot's conversion of the same leaf to a
// TypedValue, for comparison.
func BenchmarkYgotLeafTypedValue(b *testing.B) {
	ygot.EncodeTypedValue(oc.IETFInterfaces_InterfaceType_ethernetCsmacd, gpb.Encoding_JSON_IETF)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ygot.EncodeTypedValue(oc.IETFInterfaces_InterfaceType_ethernetCsmacd, gpb.Encoding_JSON_IETF); err != nil {
			b.Fatal(err)
		}
	}
}
