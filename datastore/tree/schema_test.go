package tree

import (
	"testing"

	"github.com/nwmo/nwmo/gen/nwmomodel"
	"github.com/nwmo/nwmo/gen/oc"
)

func TestCompile(t *testing.T) {
	s, err := Compile(oc.Schema)
	if err != nil {
		t.Fatal(err)
	}
	ifs := s.Root.Child("interfaces")
	if ifs == nil || ifs.Kind != Container || ifs.Module != "openconfig-interfaces" {
		t.Fatalf("root child interfaces = %+v", ifs)
	}
	list := ifs.Struct.Child("interface")
	if list == nil || list.Kind != List || len(list.Struct.Keys) != 1 || list.Struct.Keys[0].Name != "name" {
		t.Fatalf("interface list = %+v", list)
	}
	ipv4 := list.Struct.Child("subinterfaces").Struct.Child("subinterface").Struct.Child("openconfig-if-ip:ipv4")
	if ipv4 == nil || ipv4.Module != "openconfig-if-ip" {
		t.Fatalf("augmented ipv4 = %+v", ipv4)
	}
	if got := list.Struct.Child("config").Struct.Child("mtu"); got == nil || got.Kind != Leaf {
		t.Fatalf("mtu = %+v", got)
	}
	if _, err := Compile(nwmomodel.Schema); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d struct types", len(s.structs))
}
