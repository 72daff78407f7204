package validate

import (
	"sync"
	"testing"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/oc"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
)

var (
	ocOnce      sync.Once
	ocSchema    *tree.Schema
	ocValidator *Validator
	ocErr       error
)

// compiled returns the OpenConfig schema and its validator, compiled once
// for all tests.
func compiled(t testing.TB) (*tree.Schema, *Validator) {
	t.Helper()
	ocOnce.Do(func() {
		if ocSchema, ocErr = tree.Compile(oc.Schema); ocErr != nil {
			return
		}
		ocValidator, ocErr = New(ocSchema)
	})
	if ocErr != nil {
		t.Fatal(ocErr)
	}
	return ocSchema, ocValidator
}

func gpath(t testing.TB, s string) []*gpb.PathElem {
	t.Helper()
	p, err := ygot.StringToStructuredPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p.GetElem()
}

func ietf(s string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(s)}}
}

func sval(s string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: s}}
}

func uval(u uint64) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: u}}
}

func upd(t testing.TB, path string, v *gpb.TypedValue) tree.Op {
	return tree.Op{Kind: tree.Update, Path: gpath(t, path), Value: v}
}

func rep(t testing.TB, path string, v *gpb.TypedValue) tree.Op {
	return tree.Op{Kind: tree.Replace, Path: gpath(t, path), Value: v}
}

func del(t testing.TB, path string) tree.Op {
	return tree.Op{Kind: tree.Delete, Path: gpath(t, path)}
}

// baseConfig is a small device: Ethernet interfaces with subinterfaces
// and addresses, a LAG with two members, the default network instance
// with interfaces and BGP, LLDP.
const baseConfig = `{
 "openconfig-interfaces:interfaces": {"interface": [
  {"name": "Ethernet1", "config": {"name": "Ethernet1", "type": "iana-if-type:ethernetCsmacd", "mtu": 9000, "description": "uplink"},
   "subinterfaces": {"subinterface": [
    {"index": 0, "config": {"index": 0},
     "openconfig-if-ip:ipv4": {"addresses": {"address": [{"ip": "192.0.2.1", "config": {"ip": "192.0.2.1", "prefix-length": 31}}]}}},
    {"index": 100, "config": {"index": 100, "description": "vlan 100"}}]}},
  {"name": "Ethernet2", "config": {"name": "Ethernet2", "type": "iana-if-type:ethernetCsmacd"},
   "subinterfaces": {"subinterface": [{"index": 0, "config": {"index": 0}}]}},
  {"name": "Ethernet3", "config": {"name": "Ethernet3", "type": "iana-if-type:ethernetCsmacd"},
   "openconfig-if-ethernet:ethernet": {"config": {"openconfig-if-aggregate:aggregate-id": "Port-Channel1"}}},
  {"name": "Ethernet4", "config": {"name": "Ethernet4", "type": "iana-if-type:ethernetCsmacd"},
   "openconfig-if-ethernet:ethernet": {"config": {"openconfig-if-aggregate:aggregate-id": "Port-Channel1"}}},
  {"name": "Port-Channel1", "config": {"name": "Port-Channel1", "type": "iana-if-type:ieee8023adLag"},
   "openconfig-if-aggregate:aggregation": {"config": {"lag-type": "LACP", "min-links": 1}},
   "subinterfaces": {"subinterface": [{"index": 0, "config": {"index": 0}}]}}
 ]},
 "openconfig-network-instance:network-instances": {"network-instance": [
  {"name": "DEFAULT", "config": {"name": "DEFAULT", "type": "openconfig-network-instance-types:DEFAULT_INSTANCE"},
   "interfaces": {"interface": [
    {"id": "Ethernet1.0", "config": {"id": "Ethernet1.0", "interface": "Ethernet1", "subinterface": 0}},
    {"id": "Port-Channel1", "config": {"id": "Port-Channel1", "interface": "Port-Channel1"}}]},
   "protocols": {"protocol": [
    {"identifier": "openconfig-policy-types:BGP", "name": "BGP",
     "config": {"identifier": "openconfig-policy-types:BGP", "name": "BGP"},
     "bgp": {"global": {"config": {"as": 65000, "router-id": "192.0.2.1"}},
      "peer-groups": {"peer-group": [{"peer-group-name": "SPINE", "config": {"peer-group-name": "SPINE", "peer-as": 65100}}]},
      "neighbors": {"neighbor": [
       {"neighbor-address": "192.0.2.0", "config": {"neighbor-address": "192.0.2.0", "peer-group": "SPINE"}}]}}}]}}]},
 "openconfig-lldp:lldp": {"config": {"enabled": true},
  "interfaces": {"interface": [{"name": "Ethernet1", "config": {"name": "Ethernet1", "enabled": true}}]}}
}`

// newTree returns a fresh tree holding config, applied as a replace of the
// root through tree.Edit.
func newTree(t testing.TB, config string) ygot.GoStruct {
	t.Helper()
	s, _ := compiled(t)
	root := s.New()
	if err := s.NewEdit(root).Apply(tree.Op{Kind: tree.Replace, Path: nil, Value: ietf(config)}); err != nil {
		t.Fatal(err)
	}
	return root
}

// ygotValid is the reference: ygot's own whole-tree validation.
func ygotValid(root ygot.GoStruct) error {
	return root.(ygot.ValidatedGoStruct).Validate()
}
