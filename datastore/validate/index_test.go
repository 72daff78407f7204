package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/nwmomodel"
	"github.com/nwmo/nwmo/gen/oc"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
)

const (
	ni1   = "/network-instances/network-instance[name=DEFAULT]"
	bgp1  = ni1 + "/protocols/protocol[identifier=BGP][name=BGP]/bgp"
	ifEth = "/interfaces/interface[name=Ethernet1]"
)

// TestCheck runs single edits of the base config through Check and through
// ygot's Validate: both must agree with the table, and Check's message
// must name the offending path and the reason.
func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		setup []func(t *testing.T) tree.Op // applied and committed first
		ops   []func(t *testing.T) tree.Op
		want  string // "" to accept; else a substring of the error
	}{{
		name: "leaf value",
		ops:  ops(upd, ifEth+"/config/mtu", uval(1500)),
	}, {
		name: "range",
		ops:  ops(upd, ifEth+"/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=192.0.2.1]/config/prefix-length", uval(33)),
		want: ifEth + "/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=192.0.2.1]/config/prefix-length: ",
	}, {
		name: "pattern",
		ops: ops(upd, ifEth+"/subinterfaces/subinterface[index=0]/ipv4/addresses",
			ietf(`{"address":[{"ip":"192.0.2.300","config":{"ip":"192.0.2.300","prefix-length":24}}]}`)),
		want: "does not match regular expression pattern",
	}, {
		name: "pattern of a key leaf",
		ops:  ops(upd, bgp1+"/global/config/router-id", sval("10.0.0.256")),
		want: bgp1 + "/global/config/router-id: ",
	}, {
		name: "new interface",
		ops:  ops(upd, "/interfaces/interface[name=Ethernet9]", ietf(`{"config":{"name":"Ethernet9","mtu":1500}}`)),
	}, {
		name: "new interface whose config/name differs from the key",
		ops:  ops(upd, "/interfaces/interface[name=Ethernet9]/config", ietf(`{"name":"Ethernet8"}`)),
		want: "/interfaces/interface[name=Ethernet9]/name: leafref: no /interfaces/interface[name=Ethernet9]/config/name = Ethernet9",
	}, {
		name: "config/name differs from the key",
		ops:  ops(upd, "/interfaces/interface[name=Ethernet2]/config/name", sval("Ethernet9")),
		want: "/interfaces/interface[name=Ethernet2]/config/name: still referenced by /interfaces/interface[name=Ethernet2]/name",
	}, {
		name: "network instance interface to a missing interface",
		ops:  ops(upd, ni1+"/interfaces/interface[id=Ethernet9]", ietf(`{"config":{"id":"Ethernet9","interface":"Ethernet9"}}`)),
		want: ni1 + "/interfaces/interface[id=Ethernet9]/config/interface: leafref: no /interfaces/interface[name=Ethernet9]",
	}, {
		name: "network instance interface to an existing subinterface",
		ops:  ops(upd, ni1+"/interfaces/interface[id=Ethernet2.0]", ietf(`{"config":{"id":"Ethernet2.0","interface":"Ethernet2","subinterface":0}}`)),
	}, {
		name: "network instance interface to a missing subinterface",
		ops:  ops(upd, ni1+"/interfaces/interface[id=Ethernet1.0]/config/subinterface", uval(5)),
		want: ni1 + "/interfaces/interface[id=Ethernet1.0]/config/subinterface: leafref: no /interfaces/interface[name=Ethernet1]/subinterfaces/subinterface[index=5]",
	}, {
		// The predicate's input changes, not the leafref: the subinterface
		// is looked up again, in Ethernet3, which has none.
		name: "predicate input moves the reference",
		ops:  ops(upd, ni1+"/interfaces/interface[id=Ethernet1.0]/config/interface", sval("Ethernet3")),
		want: ni1 + "/interfaces/interface[id=Ethernet1.0]/config/subinterface: leafref: no /interfaces/interface[name=Ethernet3]/subinterfaces/subinterface[index=0]",
	}, {
		name: "predicate input moves the reference to a valid target",
		ops:  ops(upd, ni1+"/interfaces/interface[id=Ethernet1.0]/config/interface", sval("Ethernet2")),
	}, {
		name: "delete a referenced subinterface",
		ops:  ops(del, ifEth+"/subinterfaces/subinterface[index=0]", nil),
		want: ifEth + "/subinterfaces/subinterface[index=0]: still referenced by " + ni1 + "/interfaces/interface[id=Ethernet1.0]/config/subinterface",
	}, {
		name: "delete an unreferenced subinterface",
		ops:  ops(del, ifEth+"/subinterfaces/subinterface[index=100]", nil),
	}, {
		name: "delete a referenced interface",
		ops:  ops(del, ifEth, nil),
		want: ifEth + ": still referenced by /lldp/interfaces/interface[name=Ethernet1]/config/name",
	}, {
		name: "delete an interface and what refers to it",
		ops: ops(del, ifEth, nil, del, "/lldp/interfaces/interface[name=Ethernet1]", nil,
			del, ni1+"/interfaces/interface[id=Ethernet1.0]", nil),
	}, {
		name: "delete a LAG with members",
		ops:  ops(del, "/interfaces/interface[name=Port-Channel1]", nil, del, ni1+"/interfaces/interface[id=Port-Channel1]", nil),
		want: "/interfaces/interface[name=Port-Channel1]: still referenced by /interfaces/interface[name=Ethernet3]/ethernet/config/aggregate-id",
	}, {
		name: "LAG member to a missing LAG",
		ops:  ops(upd, "/interfaces/interface[name=Ethernet2]/ethernet/config/aggregate-id", sval("Port-Channel9")),
		want: "/interfaces/interface[name=Ethernet2]/ethernet/config/aggregate-id: leafref: no /interfaces/interface[name=Port-Channel9]",
	}, {
		name: "LAG member",
		ops:  ops(upd, "/interfaces/interface[name=Ethernet2]/ethernet/config/aggregate-id", sval("Port-Channel1")),
	}, {
		name: "BGP neighbor to a missing peer group",
		ops:  ops(upd, bgp1+"/neighbors/neighbor[neighbor-address=192.0.2.0]/config/peer-group", sval("LEAF")),
		want: bgp1 + "/neighbors/neighbor[neighbor-address=192.0.2.0]/config/peer-group: leafref: no " + bgp1 + "/peer-groups/peer-group[peer-group-name=LEAF]",
	}, {
		name: "BGP neighbor to a new peer group",
		ops: ops(upd, bgp1+"/peer-groups/peer-group[peer-group-name=LEAF]/config/peer-group-name", sval("LEAF"),
			upd, bgp1+"/neighbors/neighbor[neighbor-address=192.0.2.0]/config/peer-group", sval("LEAF")),
	}, {
		name: "delete a referenced peer group",
		ops:  ops(del, bgp1+"/peer-groups", nil),
		want: bgp1 + "/peer-groups/peer-group[peer-group-name=SPINE]: still referenced by " + bgp1 + "/neighbors/neighbor[neighbor-address=192.0.2.0]/config/peer-group",
	}, {
		name: "LLDP interface to a missing interface",
		ops:  ops(upd, "/lldp/interfaces/interface[name=Ethernet9]/config/name", sval("Ethernet9")),
		want: "/lldp/interfaces/interface[name=Ethernet9]/config/name: leafref: no /interfaces/interface[name=Ethernet9]",
	}, {
		name: "state leaf-list of leafrefs",
		ops:  ops(upd, "/interfaces/interface[name=Port-Channel1]/aggregation/state/member", ietf(`["Ethernet3","Ethernet4"]`)),
	}, {
		name: "state leaf-list with a dangling element",
		ops:  ops(upd, "/interfaces/interface[name=Port-Channel1]/aggregation/state/member", ietf(`["Ethernet3","Ethernet7"]`)),
		want: "/interfaces/interface[name=Port-Channel1]/aggregation/state/member: leafref: no /interfaces/interface[name=Ethernet7]",
	}, {
		name: "delete the target of a state leaf-list",
		setup: ops(upd, "/interfaces/interface[name=Port-Channel1]/aggregation/state/member", ietf(`["Ethernet3","Ethernet4"]`),
			upd, "/interfaces/interface[name=Ethernet4]/ethernet/config/aggregate-id", sval("Ethernet3")),
		ops:  ops(del, "/interfaces/interface[name=Ethernet4]", nil),
		want: "/interfaces/interface[name=Ethernet4]: still referenced by /interfaces/interface[name=Port-Channel1]/aggregation/state/member",
	}, {
		name: "unkeyed list entry with a dangling leafref",
		ops: ops(upd, ni1+"/vlans/vlan[vlan-id=10]",
			ietf(`{"config":{"vlan-id":10},"members":{"member":[{"state":{"interface":"Ethernet1"}},{"state":{"interface":"Ethernet8"}}]}}`)),
		want: ni1 + "/vlans/vlan[vlan-id=10]/members/member[#=1]/state/interface: leafref: no /interfaces/interface[name=Ethernet8]",
	}, {
		name: "vlan id out of range",
		ops:  ops(upd, ni1+"/vlans/vlan[vlan-id=4095]", ietf(`{"config":{"vlan-id":4095}}`)),
		want: ni1 + "/vlans/vlan[vlan-id=4095]/config/vlan-id: ",
	}, {
		name: "leafref ygot cannot parse",
		ops: ops(upd, "/acl/interfaces/interface[id=Ethernet1]/ingress-acl-sets/ingress-acl-set[set-name=A][type=ACL_IPV4]/acl-entries/acl-entry[sequence-id=5]/state/sequence-id",
			uval(5)),
		want: "state/sequence-id: leafref /oc-acl:acl/oc-acl:acl-sets/oc-acl:acl-set[oc-acl:name=current()/../../../../set-name]",
	}, {
		// ygot reads a predicate value "*" as a wildcard: with an
		// interface named "*", subinterface 100 of any interface will do.
		name:  "interface named *",
		setup: ops(upd, "/interfaces", ietf(`{"interface":[{"name":"*","config":{"name":"*"}}]}`)),
		ops: ops(upd, ni1+"/interfaces/interface[id=star]",
			ietf(`{"config":{"id":"star","interface":"*","subinterface":100}}`)),
	}, {
		name: "predicate on one key of two, with enums",
		ops: ops(upd, ni1+"/tables/table[protocol=BGP][address-family=IPV4]/config", ietf(`{"protocol":"BGP","address-family":"IPV4"}`),
			upd, ni1+"/table-connections/table-connection[src-protocol=BGP][dst-protocol=BGP][address-family=IPV4]/config",
			ietf(`{"src-protocol":"BGP","dst-protocol":"BGP","address-family":"IPV4"}`)),
	}, {
		name: "predicate on one key of two, missing target",
		ops: ops(upd, ni1+"/tables/table[protocol=BGP][address-family=IPV4]/config", ietf(`{"protocol":"BGP","address-family":"IPV4"}`),
			upd, ni1+"/table-connections/table-connection[src-protocol=BGP][dst-protocol=BGP][address-family=IPV6]/config",
			ietf(`{"src-protocol":"BGP","dst-protocol":"BGP","address-family":"IPV6"}`)),
		want: "table-connection[address-family=IPV6][dst-protocol=BGP][src-protocol=BGP]/config/address-family: leafref: no " + ni1 + "/tables/table[protocol=BGP]/config/address-family = IPV6",
	}}
	s, v := compiled(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newTree(t, baseConfig)
			ix, err := v.NewIndex(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.setup) > 0 {
				e := s.NewEdit(root)
				for _, op := range tt.setup {
					if err := e.Apply(op(t)); err != nil {
						t.Fatal(err)
					}
				}
				if err := ix.Check(root, e.Changes()); err != nil {
					t.Fatalf("setup: %v", err)
				}
				ix.Apply(e.Changes())
			}
			e := s.NewEdit(root)
			for _, op := range tt.ops {
				if err := e.Apply(op(t)); err != nil {
					t.Fatal(err)
				}
			}
			got := ix.Check(root, e.Changes())
			ref := ygotValid(root)
			switch {
			case (got == nil) != (ref == nil):
				t.Errorf("Check: %v\nygot:  %v", got, ref)
			case tt.want == "" && got != nil:
				t.Errorf("Check: %v, want nil", got)
			case tt.want != "" && got == nil:
				t.Errorf("Check: nil, want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(got.Error(), tt.want):
				t.Errorf("Check: %v\nwant an error with %q", got, tt.want)
			case got != nil && !errors.Is(got, ErrInvalid):
				t.Errorf("Check: %v does not wrap ErrInvalid", got)
			}
			if got == nil {
				// The index, updated, must be the index of the new tree.
				ix.Apply(e.Changes())
				fresh, err := v.NewIndex(root)
				if err != nil {
					t.Fatal(err)
				}
				if d := diffLines(dump(ix), dump(fresh)); d != "" {
					t.Errorf("index after Apply differs from NewIndex:\n%s", d)
				}
			}
		})
	}
}

// ops builds operations from (constructor, path, value) triples.
func ops(args ...any) []func(t *testing.T) tree.Op {
	var out []func(t *testing.T) tree.Op
	for i := 0; i < len(args); i += 3 {
		path := args[i+1].(string)
		switch mk := args[i].(type) {
		case func(testing.TB, string) tree.Op:
			out = append(out, func(t *testing.T) tree.Op { return mk(t, path) })
		case func(testing.TB, string, *gpb.TypedValue) tree.Op:
			val := args[i+2].(*gpb.TypedValue)
			out = append(out, func(t *testing.T) tree.Op { return mk(t, path, val) })
		}
	}
	return out
}

func TestNewIndexRejectsInvalidTrees(t *testing.T) {
	_, v := compiled(t)
	t.Run("key leaf differs from map key", func(t *testing.T) {
		root := newTree(t, baseConfig)
		root.(*oc.Device).GetInterfaces().GetInterface("Ethernet2").Name = ygot.String("Ethernet22")
		_, err := v.NewIndex(root)
		if err == nil || !strings.Contains(err.Error(), "/interfaces/interface[name=Ethernet2]/name: key leaf is Ethernet22 but the entry's key is Ethernet2") {
			t.Errorf("NewIndex: %v", err)
		}
		if ygotValid(root) == nil {
			t.Error("ygot accepts it")
		}
	})
	t.Run("key leaf unset", func(t *testing.T) {
		root := newTree(t, baseConfig)
		root.(*oc.Device).GetInterfaces().GetInterface("Ethernet2").Name = nil
		_, err := v.NewIndex(root)
		if err == nil || !strings.Contains(err.Error(), "/interfaces/interface[name=Ethernet2]/name: the entry exists but its key leaf is not set") {
			t.Errorf("NewIndex: %v", err)
		}
		if ygotValid(root) == nil {
			t.Error("ygot accepts it")
		}
	})
	t.Run("dangling reference", func(t *testing.T) {
		root := newTree(t, baseConfig)
		root.(*oc.Device).GetInterfaces().GetInterface("Ethernet2").GetOrCreateEthernet().GetOrCreateConfig().AggregateId = ygot.String("Nope")
		_, err := v.NewIndex(root)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "aggregate-id: leafref: no /interfaces/interface[name=Nope]") {
			t.Errorf("NewIndex: %v", err)
		}
	})
}

func TestCloneIsIndependent(t *testing.T) {
	s, v := compiled(t)
	root := newTree(t, baseConfig)
	ix, err := v.NewIndex(root)
	if err != nil {
		t.Fatal(err)
	}
	before := dump(ix)
	c := ix.Clone()
	e := s.NewEdit(root)
	for _, op := range []tree.Op{del(t, ni1+"/interfaces"), del(t, "/lldp"), del(t, ifEth)} {
		if err := e.Apply(op); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Check(root, e.Changes()); err != nil {
		t.Fatal(err)
	}
	c.Apply(e.Changes())
	if dump(ix) != before {
		t.Error("Apply to a clone changed the original")
	}
	// The original still protects Ethernet1's subinterface; the clone
	// knows nothing refers to it any more.
	e.Undo()
	e2 := s.NewEdit(root)
	if err := e2.Apply(del(t, ifEth+"/subinterfaces/subinterface[index=0]")); err != nil {
		t.Fatal(err)
	}
	if ix.Check(root, e2.Changes()) == nil {
		t.Error("original index: deleting a referenced subinterface accepted")
	}
}

func TestNwmoModel(t *testing.T) {
	s, err := tree.Compile(nwmomodel.Schema)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	root := s.New()
	ix, err := v.NewIndex(root)
	if err != nil {
		t.Fatal(err)
	}
	e := s.NewEdit(root)
	if err := e.Apply(upd(t, "/targets/target[name=leaf1]/config", ietf(`{"name":"leaf2","address":"192.0.2.1:57400"}`))); err != nil {
		t.Fatal(err)
	}
	got, ref := ix.Check(root, e.Changes()), root.(ygot.ValidatedGoStruct).Validate()
	if got == nil || ref == nil {
		t.Errorf("target whose config/name differs: Check %v, ygot %v; want both to fail", got, ref)
	}
	if err := e.Apply(upd(t, "/targets/target[name=leaf1]/config/name", sval("leaf1"))); err != nil {
		t.Fatal(err)
	}
	got, ref = ix.Check(root, e.Changes()), root.(ygot.ValidatedGoStruct).Validate()
	if got != nil || ref != nil {
		t.Errorf("target with config/name: Check %v, ygot %v; want both to pass", got, ref)
	}
}
