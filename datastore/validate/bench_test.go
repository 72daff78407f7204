package validate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/openconfig/ygot/ygot"
)

// plainInterfaces is a config of n interfaces with a few leaves each.
func plainInterfaces(n int) string {
	var b strings.Builder
	b.WriteString(`{"openconfig-interfaces:interfaces":{"interface":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"Ethernet%d","config":{"name":"Ethernet%d","type":"iana-if-type:ethernetCsmacd","mtu":9000,"description":"port %d"}}`, i, i, i)
	}
	b.WriteString(`]}}`)
	return b.String()
}

// deviceConfig is a device-sized config: n interfaces with subifs
// subinterfaces each, all in the default network instance, and nbrs BGP
// neighbors in two peer groups.
func deviceConfig(n, subifs, nbrs int) string {
	var b strings.Builder
	b.WriteString(`{"openconfig-interfaces:interfaces":{"interface":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"Ethernet%d","config":{"name":"Ethernet%d","type":"iana-if-type:ethernetCsmacd","mtu":9000},"subinterfaces":{"subinterface":[`, i, i)
		for j := 0; j < subifs; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"index":%d,"config":{"index":%d,"description":"vlan %d"},"openconfig-if-ip:ipv4":{"addresses":{"address":[{"ip":"10.%d.%d.1","config":{"ip":"10.%d.%d.1","prefix-length":24}}]}}}`,
				j, j, j, i/256, i%256, i/256, i%256)
		}
		b.WriteString(`]}}`)
	}
	b.WriteString(`]},"openconfig-network-instance:network-instances":{"network-instance":[{"name":"DEFAULT","config":{"name":"DEFAULT","type":"openconfig-network-instance-types:DEFAULT_INSTANCE"},"interfaces":{"interface":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"Ethernet%d.0","config":{"id":"Ethernet%d.0","interface":"Ethernet%d","subinterface":0}}`, i, i, i)
	}
	b.WriteString(`]},"protocols":{"protocol":[{"identifier":"openconfig-policy-types:BGP","name":"BGP","config":{"identifier":"openconfig-policy-types:BGP","name":"BGP"},"bgp":{"global":{"config":{"as":65000}},"peer-groups":{"peer-group":[{"peer-group-name":"A","config":{"peer-group-name":"A"}},{"peer-group-name":"B","config":{"peer-group-name":"B"}}]},"neighbors":{"neighbor":[`)
	for i := 0; i < nbrs; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		a := fmt.Sprintf("192.%d.%d.%d", i/65536, i/256%256, i%256)
		fmt.Fprintf(&b, `{"neighbor-address":%q,"config":{"neighbor-address":%q,"peer-group":%q,"peer-as":%d}}`, a, a, []string{"A", "B"}[i%2], 65001+i)
	}
	b.WriteString(`]}}}]}}]}}`)
	return b.String()
}

func benchTree(b *testing.B, config string) (*tree.Schema, *Validator, ygot.GoStruct, *Index) {
	b.Helper()
	s, v := compiled(b)
	root := newTree(b, config)
	ix, err := v.NewIndex(root)
	if err != nil {
		b.Fatal(err)
	}
	return s, v, root, ix
}

// benchCheck measures Check of the changes of ops on the tree; the edit
// is applied once (Check does not modify anything).
func benchCheck(b *testing.B, config string, ops ...tree.Op) {
	s, _, root, ix := benchTree(b, config)
	e := s.NewEdit(root)
	for _, op := range ops {
		if err := e.Apply(op); err != nil {
			b.Fatal(err)
		}
	}
	changes := e.Changes()
	if err := ix.Check(root, changes); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ix.Check(root, changes); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(changes)), "changes")
}

func BenchmarkCheckLeaf10kInterfaces(b *testing.B) {
	benchCheck(b, plainInterfaces(10000), upd(b, "/interfaces/interface[name=Ethernet5000]/config/mtu", uval(1500)))
}

func BenchmarkCheckAddInterface10kInterfaces(b *testing.B) {
	benchCheck(b, plainInterfaces(10000), upd(b, "/interfaces/interface[name=Ethernet10000]",
		ietf(`{"config":{"name":"Ethernet10000","type":"iana-if-type:ethernetCsmacd","mtu":9000,"description":"new"}}`)))
}

func BenchmarkCheckDeleteInterfaceDevice(b *testing.B) {
	benchCheck(b, deviceConfig(1000, 10, 2000),
		del(b, "/interfaces/interface[name=Ethernet500]"),
		del(b, "/network-instances/network-instance[name=DEFAULT]/interfaces/interface[id=Ethernet500.0]"))
}

func BenchmarkNewIndex10kInterfaces(b *testing.B) {
	_, v, root, _ := benchTree(b, plainInterfaces(10000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.NewIndex(root); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewIndexDevice(b *testing.B) {
	_, v, root, _ := benchTree(b, deviceConfig(1000, 10, 2000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.NewIndex(root); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClone10kInterfaces(b *testing.B) {
	_, _, _, ix := benchTree(b, plainInterfaces(10000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix.Clone()
	}
}
