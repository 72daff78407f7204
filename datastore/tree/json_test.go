package tree

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nwmo/nwmo/gen/nwmomodel"
	"github.com/nwmo/nwmo/gen/oc"
	"github.com/openconfig/ygot/ygot"
	"github.com/openconfig/ygot/ytypes"
)

// testDevice builds a device config exercising every kind of node and most
// leaf types: augments from other modules (if-ip, if-ethernet,
// if-aggregate, vlan), identityrefs and enumerations, uint64 beyond 2^53,
// decimal64, unions of strings, numbers, enums and binary, leaf-lists of
// strings and enums, a multi-key list keyed by an identityref, a list keyed
// by a union, an unkeyed state list, and escapes in strings.
func testDevice() *oc.Device {
	d := &oc.Device{}
	ifs := d.GetOrCreateInterfaces()
	for i, name := range []string{"eth0", "eth1", "eth10", "eth2"} {
		intf := ifs.GetOrCreateInterface(name)
		c := intf.GetOrCreateConfig()
		c.Name = ygot.String(name)
		c.Description = ygot.String(fmt.Sprintf("uplink \"%d\" to ünïcode\\site\n\t\x01 \u2028", i))
		c.Mtu = ygot.Uint16(9000 + uint16(i))
		c.Enabled = ygot.Bool(i%2 == 0)
		c.Type = oc.IETFInterfaces_InterfaceType_ethernetCsmacd
		c.Tpid = oc.OpenconfigVlanTypes_TPID_TYPES_TPID_0X8100
		eth := intf.GetOrCreateEthernet().GetOrCreateConfig()
		eth.AutoNegotiate = ygot.Bool(false)
		eth.PortSpeed = oc.OpenconfigIfEthernet_ETHERNET_SPEED_SPEED_100GB
		eth.DuplexMode = oc.OpenconfigInterfaces_Interfaces_Interface_Ethernet_Config_DuplexMode_FULL
		eth.FecMode = oc.OpenconfigIfEthernet_INTERFACE_FEC_FEC_RS528
		eth.MacAddress = ygot.String(fmt.Sprintf("02:00:00:00:00:%02x", i))
		eth.AggregateId = ygot.String("ae0")
		st := intf.GetOrCreateState()
		st.Name = ygot.String(name)
		st.OperStatus = oc.OpenconfigInterfaces_Interfaces_Interface_State_OperStatus_UP
		st.AdminStatus = oc.OpenconfigInterfaces_Interfaces_Interface_State_AdminStatus_UP
		st.Ifindex = ygot.Uint32(uint32(i + 1))
		st.Type = oc.IETFInterfaces_InterfaceType_ethernetCsmacd
		st.LastChange = ygot.Uint64(1700000000123456789 + uint64(i))
		st.GetOrCreateCounters().InOctets = ygot.Uint64(math.MaxUint64 - uint64(i))
		st.GetOrCreateCounters().OutOctets = ygot.Uint64(0)
		intf.GetOrCreateHoldTime() // empty: left out of the JSON
		subs := intf.GetOrCreateSubinterfaces()
		for _, idx := range []uint32{0, 2, 10} {
			sub := subs.GetOrCreateSubinterface(idx)
			sub.GetOrCreateConfig().Index = ygot.Uint32(idx)
			sub.GetOrCreateConfig().Description = ygot.String(fmt.Sprintf("%s.%d", name, idx))
			a4 := sub.GetOrCreateIpv4().GetOrCreateAddresses().GetOrCreateAddress(fmt.Sprintf("192.0.%d.%d", i, idx+1))
			a4.GetOrCreateConfig().Ip = a4.Ip
			a4.GetOrCreateConfig().PrefixLength = ygot.Uint8(24)
			a4.GetOrCreateConfig().Type = oc.OpenconfigIfIp_Ipv4AddressType_PRIMARY
			a4.GetOrCreateState().Origin = oc.OpenconfigIfIp_IpAddressOrigin_STATIC
			a6 := sub.GetOrCreateIpv6().GetOrCreateAddresses().GetOrCreateAddress(fmt.Sprintf("2001:db8:%d::%d", i, idx+1))
			a6.GetOrCreateConfig().Ip = a6.Ip
			a6.GetOrCreateConfig().PrefixLength = ygot.Uint8(64)
			a6.GetOrCreateConfig().Type = oc.OpenconfigInetTypes_Ipv6AddressType_GLOBAL_UNICAST
		}
	}
	lag := ifs.GetOrCreateInterface("ae0")
	lag.GetOrCreateConfig().Name = ygot.String("ae0")
	lag.GetOrCreateConfig().Type = oc.IETFInterfaces_InterfaceType_ieee8023adLag
	lag.GetOrCreateAggregation().GetOrCreateConfig().LagType = oc.OpenconfigIfAggregate_AggregationType_LACP
	lag.GetOrCreateAggregation().GetOrCreateConfig().MinLinks = ygot.Uint16(2)

	sys := d.GetOrCreateSystem()
	sys.GetOrCreateConfig().Hostname = ygot.String("router1")
	sys.GetOrCreateConfig().DomainName = ygot.String("example.net")
	sys.GetOrCreateState().UpTime = ygot.Uint64(9007199254740993) // 2^53+1
	ntp := sys.GetOrCreateNtp()
	ntp.GetOrCreateConfig().Enabled = ygot.Bool(true)
	for _, addr := range []string{"192.0.2.123", "2001:db8::123"} {
		srv := ntp.GetOrCreateServers().GetOrCreateServer(addr).GetOrCreateConfig()
		srv.Address = ygot.String(addr)
		srv.Port = ygot.Uint16(123)
		srv.Version = ygot.Uint8(4)
		srv.AssociationType = oc.OpenconfigSystem_System_Ntp_Servers_Server_Config_AssociationType_SERVER
		srv.Iburst = ygot.Bool(true)
	}
	sys.GetOrCreateDns().GetOrCreateConfig().Search = []string{"example.net", "example.com"}
	lic := sys.GetOrCreateLicense().GetOrCreateLicenses()
	lc := lic.GetOrCreateLicense("bin").GetOrCreateConfig()
	lc.LicenseId, lc.Active, lc.LicenseData = ygot.String("bin"), ygot.Bool(true), oc.Binary("secret\x00\xffbytes")
	lc = lic.GetOrCreateLicense("text").GetOrCreateConfig()
	lc.LicenseId, lc.LicenseData = ygot.String("text"), oc.UnionString("not base64!")

	ni := d.GetOrCreateNetworkInstances().GetOrCreateNetworkInstance("DEFAULT")
	ni.GetOrCreateConfig().Name = ygot.String("DEFAULT")
	ni.GetOrCreateConfig().Type = oc.OpenconfigNetworkInstanceTypes_NETWORK_INSTANCE_TYPE_DEFAULT_INSTANCE
	ni.GetOrCreateConfig().RouterId = ygot.String("192.0.2.255")
	static := ni.GetOrCreateProtocols().GetOrCreateProtocol(oc.OpenconfigPolicyTypes_INSTALL_PROTOCOL_TYPE_STATIC, "static")
	static.GetOrCreateConfig().Identifier = oc.OpenconfigPolicyTypes_INSTALL_PROTOCOL_TYPE_STATIC
	static.GetOrCreateConfig().Name = ygot.String("static")
	r := static.GetOrCreateStaticRoutes().GetOrCreateStatic("10.0.0.0/8")
	r.GetOrCreateConfig().Prefix = ygot.String("10.0.0.0/8")
	r.GetOrCreateConfig().SetTag = oc.UnionUint32(42)
	nh := r.GetOrCreateNextHops().GetOrCreateNextHop("1").GetOrCreateConfig()
	nh.Index, nh.NextHop, nh.Metric = ygot.String("1"), oc.UnionString("192.0.2.1"), ygot.Uint32(10)
	nh = r.GetOrCreateNextHops().GetOrCreateNextHop("2").GetOrCreateConfig()
	nh.Index, nh.NextHop = ygot.String("2"), oc.OpenconfigLocalRouting_LOCAL_DEFINED_NEXT_HOP_DROP
	r = static.GetOrCreateStaticRoutes().GetOrCreateStatic("192.168.0.0/16")
	r.GetOrCreateConfig().Prefix = ygot.String("192.168.0.0/16")
	r.GetOrCreateConfig().SetTag = oc.UnionString("tag-a")
	bgp := ni.GetOrCreateProtocols().GetOrCreateProtocol(oc.OpenconfigPolicyTypes_INSTALL_PROTOCOL_TYPE_BGP, "bgp")
	bgp.GetOrCreateConfig().Identifier = oc.OpenconfigPolicyTypes_INSTALL_PROTOCOL_TYPE_BGP
	bgp.GetOrCreateConfig().Name = ygot.String("bgp")
	bgp.GetOrCreateBgp().GetOrCreateGlobal().GetOrCreateConfig().As = ygot.Uint32(65000)
	bgp.GetOrCreateBgp().GetOrCreateGlobal().GetOrCreateConfig().RouterId = ygot.String("192.0.2.255")
	for i, addr := range []string{"192.0.2.2", "2001:db8::2"} {
		n := bgp.GetOrCreateBgp().GetOrCreateNeighbors().GetOrCreateNeighbor(addr)
		nc := n.GetOrCreateConfig()
		nc.NeighborAddress = ygot.String(addr)
		nc.PeerAs = ygot.Uint32(65001 + uint32(i))
		nc.Enabled = ygot.Bool(true)
		nc.PeerType = oc.OpenconfigBgpTypes_PeerType_EXTERNAL
		nc.SendCommunityType = []oc.E_OpenconfigBgpTypes_CommunityType{oc.OpenconfigBgpTypes_CommunityType_STANDARD, oc.OpenconfigBgpTypes_CommunityType_LARGE}
		ns := n.GetOrCreateState()
		ns.EstablishedTransitions = ygot.Uint64(3)
		ns.SupportedCapabilities = []oc.E_OpenconfigBgpTypes_BGP_CAPABILITY{oc.OpenconfigBgpTypes_BGP_CAPABILITY_MPBGP, oc.OpenconfigBgpTypes_BGP_CAPABILITY_ROUTE_REFRESH}
		for _, afi := range []oc.E_OpenconfigBgpTypes_AFI_SAFI_TYPE{oc.OpenconfigBgpTypes_AFI_SAFI_TYPE_IPV6_UNICAST, oc.OpenconfigBgpTypes_AFI_SAFI_TYPE_IPV4_UNICAST} {
			a := n.GetOrCreateAfiSafis().GetOrCreateAfiSafi(afi).GetOrCreateConfig()
			a.AfiSafiName, a.Enabled = afi, ygot.Bool(true)
		}
	}
	ospf := ni.GetOrCreateProtocols().GetOrCreateProtocol(oc.OpenconfigPolicyTypes_INSTALL_PROTOCOL_TYPE_OSPF, "ospf")
	areas := ospf.GetOrCreateOspfv2().GetOrCreateAreas()
	areas.GetOrCreateArea(oc.UnionUint32(1)).GetOrCreateConfig().Identifier = oc.UnionUint32(1)
	area0 := areas.GetOrCreateArea(oc.UnionString("0.0.0.0"))
	area0.GetOrCreateConfig().Identifier = oc.UnionString("0.0.0.0")
	lsa := area0.GetOrCreateLsdb().GetOrCreateLsaTypes().GetOrCreateLsaType(oc.OpenconfigOspfTypes_OSPF_LSA_TYPE_OSPFV2_LINK_SCOPE_OPAQUE_LSA).GetOrCreateLsas().GetOrCreateLsa("192.0.2.9")
	tlvs := lsa.GetOrCreateOpaqueLsa().GetOrCreateExtendedLink().GetOrCreateTlvs()
	type tlv = oc.OpenconfigNetworkInstance_NetworkInstances_NetworkInstance_Protocols_Protocol_Ospfv2_Areas_Area_Lsdb_LsaTypes_LsaType_Lsas_Lsa_OpaqueLsa_ExtendedLink_Tlvs_Tlv
	tlvs.Tlv = []*tlv{{}, {}}
	tlvs.Tlv[0].GetOrCreateState().Type = oc.OpenconfigOspfTypes_OSPFV2_EXTENDED_LINK_SUBTLV_TYPE_ADJACENCY_SID
	u := tlvs.Tlv[1].GetOrCreateUnknownTlv().GetOrCreateState()
	u.Type, u.Length, u.Value = ygot.Uint16(99), ygot.Uint16(4), oc.Binary{1, 2, 3, 4}

	comp := d.GetOrCreateComponents().GetOrCreateComponent("chassis")
	comp.GetOrCreateConfig().Name = ygot.String("chassis")
	temp := comp.GetOrCreateState().GetOrCreateTemperature()
	temp.Instant, temp.Avg, temp.Min = ygot.Float64(45.5), ygot.Float64(0.25), ygot.Float64(-3.125)
	temp.AlarmSeverity = oc.OpenconfigAlarmTypes_OPENCONFIG_ALARM_SEVERITY_MINOR
	temp.Interval = ygot.Uint64(30000000000)
	props := comp.GetOrCreateProperties()
	props.GetOrCreateProperty("s").GetOrCreateConfig().Value = oc.UnionString("text")
	props.GetOrCreateProperty("b").GetOrCreateConfig().Value = oc.UnionBool(true)
	return d
}

func mustCompile(t testing.TB, load func() (*ytypes.Schema, error)) *Schema {
	t.Helper()
	s, err := Compile(load)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// parseJSON decodes JSON for comparing, with the entries of every list in
// a canonical order: ygot sorts entries by key as strings, this codec in
// their natural order, and an RFC 7951 list is unordered anyway.
func parseJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, data)
	}
	return canonical(v)
}

func canonical(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = canonical(e)
		}
	case []any:
		for i, e := range v {
			v[i] = canonical(e)
		}
		if len(v) > 0 {
			if _, ok := v[0].(map[string]any); ok {
				slices.SortFunc(v, func(a, b any) int {
					ja, _ := json.Marshal(a)
					jb, _ := json.Marshal(b)
					return strings.Compare(string(ja), string(jb))
				})
			}
		}
	}
	return v
}

func emitYgot(t *testing.T, gs ygot.GoStruct, ietf bool) []byte {
	t.Helper()
	cfg := &ygot.EmitJSONConfig{Format: ygot.Internal, SkipValidation: true}
	if ietf {
		// Without AppendModuleName, ygot's "RFC7951" output qualifies no
		// member and no identity at all, which is not RFC 7951.
		cfg = &ygot.EmitJSONConfig{Format: ygot.RFC7951, SkipValidation: true, RFC7951Config: &ygot.RFC7951JSONConfig{AppendModuleName: true}}
	}
	out, err := ygot.EmitJSON(gs, cfg)
	if err != nil {
		t.Fatalf("ygot.EmitJSON: %v", err)
	}
	return []byte(out)
}

func TestAppendJSONMatchesYgot(t *testing.T) {
	tests := []struct {
		name string
		load func() (*ytypes.Schema, error)
		root ygot.GoStruct
	}{
		{"oc", oc.Schema, testDevice()},
		{"nwmomodel", nwmomodel.Schema, testNwmoRoot()},
	}
	for _, tt := range tests {
		s := mustCompile(t, tt.load)
		for _, ietf := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/ietf=%v", tt.name, ietf), func(t *testing.T) {
				got, err := s.AppendJSON(nil, s.Root, reflect.ValueOf(tt.root), "", ietf)
				if err != nil {
					t.Fatal(err)
				}
				want := emitYgot(t, tt.root, ietf)
				if diff := cmp.Diff(parseJSON(t, want), parseJSON(t, got)); diff != "" {
					t.Errorf("AppendJSON differs from ygot.EmitJSON (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestAppendJSONFormat(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	d := &oc.Device{}
	subs := d.GetOrCreateInterfaces().GetOrCreateInterface("eth0").GetOrCreateSubinterfaces()
	for _, i := range []uint32{10, 2, 0} {
		subs.GetOrCreateSubinterface(i)
	}
	sub := subs.GetOrCreateSubinterface(2)
	sub.GetOrCreateIpv4().GetOrCreateConfig().Mtu = ygot.Uint16(1500)
	d.GetOrCreateInterfaces().GetOrCreateInterface("eth0").GetOrCreateEthernet().GetOrCreateConfig().AggregateId = ygot.String("ae0")
	d.GetOrCreateInterfaces().GetOrCreateInterface("eth0").GetOrCreateConfig().Tpid = oc.OpenconfigVlanTypes_TPID_TYPES_TPID_0X8100
	d.GetOrCreateInterfaces().GetOrCreateInterface("eth0").GetOrCreateConfig().Type = oc.IETFInterfaces_InterfaceType_ethernetCsmacd
	d.GetOrCreateInterfaces().GetOrCreateInterface("eth0").GetOrCreateState().GetOrCreateCounters().InOctets = ygot.Uint64(math.MaxUint64)
	d.GetOrCreateInterfaces().GetOrCreateInterface("eth0").GetOrCreateHoldTime()
	d.GetOrCreateSystem().GetOrCreateDns().GetOrCreateConfig().Search = []string{}
	d.GetOrCreateNetworkInstances().NetworkInstance = map[string]*oc.OpenconfigNetworkInstance_NetworkInstances_NetworkInstance{}
	d.GetOrCreateComponents().GetOrCreateComponent("c").GetOrCreateState().GetOrCreateTemperature().Max = ygot.Float64(1e6)
	d.GetOrCreateComponents().GetOrCreateComponent("c").GetOrCreateState().GetOrCreateTemperature().Min = ygot.Float64(1e-7)

	tests := []struct {
		ietf   bool
		module string
		want   string
	}{{
		// Entries sorted numerically; members qualified where the module
		// changes, including an if-aggregate leaf inside if-ethernet;
		// identities qualified; uint64 and decimal64 as strings, decimal64
		// without exponent; empty containers, lists, leaf-lists left out.
		ietf: true,
		want: `{"openconfig-platform:components":{"component":[{"name":"c","state":{"temperature":{"max":"1000000","min":"0.0000001"}}}]},` +
			`"openconfig-interfaces:interfaces":{"interface":[{"config":{"openconfig-vlan:tpid":"openconfig-vlan-types:TPID_0X8100","type":"iana-if-type:ethernetCsmacd"},` +
			`"openconfig-if-ethernet:ethernet":{"config":{"openconfig-if-aggregate:aggregate-id":"ae0"}},"name":"eth0",` +
			`"state":{"counters":{"in-octets":"18446744073709551615"}},` +
			`"subinterfaces":{"subinterface":[{"index":0},{"index":2,"openconfig-if-ip:ipv4":{"config":{"mtu":1500}}},{"index":10}]}}]}}`,
	}, {
		ietf: false,
		want: `{"components":{"component":{"c":{"name":"c","state":{"temperature":{"max":1000000,"min":0.0000001}}}}},` +
			`"interfaces":{"interface":{"eth0":{"config":{"tpid":"TPID_0X8100","type":"ethernetCsmacd"},` +
			`"ethernet":{"config":{"aggregate-id":"ae0"}},"name":"eth0",` +
			`"state":{"counters":{"in-octets":18446744073709551615}},` +
			`"subinterfaces":{"subinterface":{"0":{"index":0},"2":{"index":2,"ipv4":{"config":{"mtu":1500}}},"10":{"index":10}}}}}}}`,
	}}
	for _, tt := range tests {
		got, err := s.AppendJSON(nil, s.Root, reflect.ValueOf(d), "", tt.ietf)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, string(got)); diff != "" {
			t.Errorf("AppendJSON(ietf=%v) (-want +got):\n%s", tt.ietf, diff)
		}
	}

	// Below the root, members in the parent's module are not qualified.
	intf := d.Interfaces.Interface["eth0"]
	got, err := s.AppendJSON(nil, s.Struct(reflect.TypeOf(intf)), reflect.ValueOf(intf.Ethernet), "openconfig-if-ethernet", true)
	if err == nil {
		t.Errorf("AppendJSON of an ethernet container with the interface schema succeeded: %s", got)
	}
	eth := s.Struct(reflect.TypeOf(intf.Ethernet))
	got, err = s.AppendJSON(nil, eth, reflect.ValueOf(intf.Ethernet), "openconfig-if-ethernet", true)
	if want := `{"config":{"openconfig-if-aggregate:aggregate-id":"ae0"}}`; err != nil || string(got) != want {
		t.Errorf("AppendJSON(ethernet) = %s, %v; want %s", got, err, want)
	}
}

// TestAppendJSONDiffersFromYgot pins the details in which ygot's output is
// not RFC 7951, and this codec's is.
func TestAppendJSONDiffersFromYgot(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	d := &oc.Device{}
	temp := d.GetOrCreateComponents().GetOrCreateComponent("c").GetOrCreateState().GetOrCreateTemperature()
	temp.Max = ygot.Float64(1e6)
	d.GetOrCreateSystem().GetOrCreateDns().GetOrCreateConfig().Search = []string{}
	d.GetOrCreateNetworkInstances().NetworkInstance = map[string]*oc.OpenconfigNetworkInstance_NetworkInstances_NetworkInstance{}
	got, err := s.AppendJSON(nil, s.Root, reflect.ValueOf(d), "", true)
	if err != nil {
		t.Fatal(err)
	}
	ygotJSON := string(emitYgot(t, d, true))
	for _, want := range []string{
		`"max": "1e+06"`, // decimal64 has no exponent form
		`"search": []`,   // an empty leaf-list is no data
		`"openconfig-network-instance:network-instances": {`, // nor is an empty list
	} {
		if !strings.Contains(ygotJSON, want) {
			t.Errorf("ygot's JSON no longer has %s:\n%s", want, ygotJSON)
		}
	}
	if want := `{"openconfig-platform:components":{"component":[{"name":"c","state":{"temperature":{"max":"1000000"}}}]}}`; string(got) != want {
		t.Errorf("AppendJSON = %s, want %s", got, want)
	}
}

func unmarshalYtypes(t *testing.T, unmarshal func([]byte, ygot.GoStruct, ...ytypes.UnmarshalOpt) error, data []byte, dst ygot.GoStruct) {
	t.Helper()
	if err := unmarshal(data, dst); err != nil {
		t.Fatalf("ytypes unmarshal: %v", err)
	}
}

func TestDecodeJSONMatchesYtypes(t *testing.T) {
	tests := []struct {
		name      string
		load      func() (*ytypes.Schema, error)
		unmarshal func([]byte, ygot.GoStruct, ...ytypes.UnmarshalOpt) error
		root      ygot.GoStruct
	}{
		{"oc", oc.Schema, oc.Unmarshal, testDevice()},
		{"nwmomodel", nwmomodel.Schema, nwmomodel.Unmarshal, testNwmoRoot()},
	}
	for _, tt := range tests {
		s := mustCompile(t, tt.load)
		ours, err := s.AppendJSON(nil, s.Root, reflect.ValueOf(tt.root), "", true)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []struct {
			name string
			data []byte
		}{{"ygot", emitYgot(t, tt.root, true)}, {"ours", ours}} {
			t.Run(tt.name+"/"+in.name, func(t *testing.T) {
				want := s.New()
				unmarshalYtypes(t, tt.unmarshal, in.data, want)
				got := s.New()
				if err := s.DecodeJSON(in.data, s.Root, reflect.ValueOf(got), true); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("DecodeJSON differs from ytypes (-want +got):\n%s", diff)
				}
				if n, err := ygot.Diff(want, got); err != nil || len(n.GetUpdate())+len(n.GetDelete()) > 0 {
					t.Errorf("ygot.Diff(ytypes, ours) = %v, %v", n, err)
				}
				// Empty containers are no data, so JSON does not keep them.
				orig, err := ygot.DeepCopy(tt.root)
				if err != nil {
					t.Fatal(err)
				}
				ygot.PruneEmptyBranches(orig)
				if diff := cmp.Diff(orig, got); diff != "" {
					t.Errorf("DecodeJSON does not give back the original (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestInternalJSONRoundTrip(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	d := testDevice()
	ours, err := s.AppendJSON(nil, s.Root, reflect.ValueOf(d), "", false)
	if err != nil {
		t.Fatal(err)
	}
	ygot.PruneEmptyBranches(d) // empty containers are no data
	for _, in := range []struct {
		name string
		data []byte
	}{{"ours", ours}, {"ygot", emitYgot(t, d, false)}} {
		got := &oc.Device{}
		if err := s.DecodeJSON(in.data, s.Root, reflect.ValueOf(got), false); err != nil {
			t.Fatalf("%s: %v", in.name, err)
		}
		if diff := cmp.Diff(d, got); diff != "" {
			t.Errorf("%s Internal JSON round trip (-want +got):\n%s", in.name, diff)
		}
	}
}

// TestDecodeJSONMerges checks that decoding into an existing tree merges
// as ytypes does: leaves set, leaf-lists replaced, entries merged.
func TestDecodeJSONMerges(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	patch := []byte(`{
	  "openconfig-interfaces:interfaces": {"interface": [
	    {"name": "eth0", "config": {"mtu": 1400, "description": null}},
	    {"name": "eth9", "config": {"name": "eth9"}, "subinterfaces": {"subinterface": [{"index": 7}]}},
	    {"name": "eth0", "config": {"enabled": false}}
	  ]},
	  "openconfig-system:system": {"dns": {"config": {"search": ["example.org"]}}},
	  "openconfig-network-instance:network-instances": {"network-instance": [{"name": "DEFAULT",
	    "protocols": {"protocol": [{"identifier": "openconfig-policy-types:OSPF", "name": "ospf",
	      "ospfv2": {"areas": {"area": [{"identifier": "0.0.0.0", "lsdb": {"lsa-types": {"lsa-type": [{
	        "type": "openconfig-ospf-types:OSPFV2_LINK_SCOPE_OPAQUE_LSA", "lsas": {"lsa": [{"link-state-id": "192.0.2.9",
	          "opaque-lsa": {"extended-link": {"tlvs": {"tlv": [{"unknown-tlv": {"state": {"value": "BQY="}}}]}}}}]}}]}}}]}}}]}}]}
	}`)
	want := testDevice()
	unmarshalYtypes(t, oc.Unmarshal, patch, want)
	got := testDevice()
	if err := s.DecodeJSON(patch, s.Root, reflect.ValueOf(got), true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge differs from ytypes (-want +got):\n%s", diff)
	}
	eth0 := got.Interfaces.Interface["eth0"]
	if eth0.Config.GetMtu() != 1400 || eth0.Config.GetEnabled() || eth0.Config.Description == nil || eth0.State == nil {
		t.Errorf("eth0 not merged: config %+v", eth0.Config)
	}
	if tlvs := got.NetworkInstances.NetworkInstance["DEFAULT"].Protocols.Protocol[oc.OpenconfigNetworkInstance_NetworkInstances_NetworkInstance_Protocols_Protocol_Key{
		Identifier: oc.OpenconfigPolicyTypes_INSTALL_PROTOCOL_TYPE_OSPF, Name: "ospf"}].Ospfv2.Areas.Area[oc.UnionString("0.0.0.0")].Lsdb.LsaTypes.LsaType[oc.OpenconfigOspfTypes_OSPF_LSA_TYPE_OSPFV2_LINK_SCOPE_OPAQUE_LSA].Lsas.Lsa["192.0.2.9"].OpaqueLsa.ExtendedLink.Tlvs.Tlv; len(tlvs) != 3 {
		t.Errorf("unkeyed list has %d entries, want 3 (appended)", len(tlvs))
	}
}

// TestDecodeJSONNames checks that member names are accepted qualified
// or not in either format, and qualified by the wrong module in neither.
func TestDecodeJSONNames(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	want := &oc.Device{}
	want.GetOrCreateInterfaces().GetOrCreateInterface("eth0").GetOrCreateEthernet().GetOrCreateConfig().AggregateId = ygot.String("ae0")
	want.GetOrCreateInterfaces().GetOrCreateInterface("eth0").GetOrCreateConfig().Mtu = ygot.Uint16(1500)
	for _, data := range []string{
		`{"openconfig-interfaces:interfaces":{"interface":[{"name":"eth0","config":{"mtu":1500},"openconfig-if-ethernet:ethernet":{"config":{"openconfig-if-aggregate:aggregate-id":"ae0"}}}]}}`,
		`{"interfaces":{"interface":[{"name":"eth0","config":{"mtu":1500},"ethernet":{"config":{"aggregate-id":"ae0"}}}]}}`,
		`{"openconfig-interfaces:interfaces":{"openconfig-interfaces:interface":[{"openconfig-interfaces:name":"eth0","config":{"openconfig-interfaces:mtu":1500},"ethernet":{"config":{"aggregate-id":"ae0"}}}]}}`,
		// oc-if is openconfig-interfaces' prefix, which Struct.Child accepts too.
		`{"oc-if:interfaces":{"interface":{"eth0":{"name":"eth0","config":{"mtu":1500},"oc-eth:ethernet":{"config":{"aggregate-id":"ae0"}}}}}}`,
		` { "interfaces" : { "interface" : { "eth0" : { "config" : { "mtu" : 1500 } , "ethernet" : { "config" : { "aggregate-id" : "ae0" } } } } } } `,
	} {
		for _, ietf := range []bool{true, false} {
			got := &oc.Device{}
			if err := s.DecodeJSON([]byte(data), s.Root, reflect.ValueOf(got), ietf); err != nil {
				t.Errorf("DecodeJSON(%s, ietf=%v): %v", data, ietf, err)
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DecodeJSON(%s, ietf=%v) (-want +got):\n%s", data, ietf, diff)
			}
		}
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	tests := []struct {
		name string
		st   *Struct
		data string
		kind error
		want string
	}{
		{"unknown field", nil, `{"openconfig-interfaces:interfaces":{"interface":[{"name":"eth0","config":{"mtuu":1}}]}}`,
			ErrUnknownPath, `/interfaces/interface[name=eth0]/config: unknown field "mtuu"`},
		{"key after the error", nil, `{"interfaces":{"interface":[{"config":{"mtu":70000},"name":"eth1"}]}}`,
			ErrBadValue, `/interfaces/interface[name=eth1]/config/mtu: value 70000 out of range for uint16`},
		{"wrong module", nil, `{"openconfig-system:interfaces":{}}`,
			ErrUnknownPath, `/: member "openconfig-system:interfaces": interfaces is defined in module "openconfig-interfaces", not "openconfig-system"`},
		{"wrong module below", nil, `{"interfaces":{"interface":[{"name":"eth0","openconfig-if-ip:ethernet":{}}]}}`,
			ErrUnknownPath, `/interfaces/interface[name=eth0]: member "openconfig-if-ip:ethernet": ethernet is defined in module "openconfig-if-ethernet", not "openconfig-if-ip"`},
		{"string for uint32", nil, `{"interfaces":{"interface":[{"name":"eth0","subinterfaces":{"subinterface":[{"index":"abc"}]}}]}}`,
			ErrBadValue, `/interfaces/interface[name=eth0]/subinterfaces/subinterface[index=abc]/index: value "abc" is not a valid uint32`},
		{"numeric key", nil, `{"interfaces":{"interface":[{"name":"eth0","subinterfaces":{"subinterface":[{"index":5,"config":{"enabled":"yes"}}]}}]}}`,
			ErrBadValue, `/interfaces/interface[name=eth0]/subinterfaces/subinterface[index=5]/config/enabled: value "yes" is not a boolean`},
		{"unknown identity", nil, `{"interfaces":{"interface":[{"name":"eth0","config":{"type":"iana-if-type:ethernetCsmacdd"}}]}}`,
			ErrBadValue, `/interfaces/interface[name=eth0]/config/type: "iana-if-type:ethernetCsmacdd" is not a value of identityref E_IETFInterfaces_InterfaceType`},
		{"identity of another module", nil, `{"interfaces":{"interface":[{"name":"eth0","config":{"type":"openconfig-if-types:ethernetCsmacd"}}]}}`,
			ErrBadValue, `/interfaces/interface[name=eth0]/config/type: identity "ethernetCsmacd" is defined in module "iana-if-type", not "openconfig-if-types"`},
		{"missing key", nil, `{"interfaces":{"interface":[{"config":{"mtu":1500}}]}}`,
			ErrBadValue, `/interfaces/interface: list entry lacks its key leaf "name"`},
		{"multi-key predicate", nil, `{"network-instances":{"network-instance":[{"name":"DEFAULT","protocols":{"protocol":[{"identifier":"openconfig-policy-types:STATIC","name":"static","config":{"name":5}}]}}]}}`,
			ErrBadValue, `/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=openconfig-policy-types:STATIC][name=static]/config/name: value 5 is not a string`},
		{"bad base64", nil, `{"system":{"license":{"licenses":{"license":[{"license-id":"x","config":{"license-data":5}}]}}}}`,
			ErrBadValue, `/system/license/licenses/license[license-id=x]/config/license-data: value 5 matches no member of the union (binary, string)`},
		{"unkeyed entry", nil, `{"network-instances":{"network-instance":[{"name":"DEFAULT","protocols":{"protocol":[{"identifier":"OSPF","name":"ospf","ospfv2":{"areas":{"area":[{"identifier":1,"lsdb":{"lsa-types":{"lsa-type":[{"type":"ROUTER_LSA","lsas":{"lsa":[{"link-state-id":"x","opaque-lsa":{"extended-link":{"tlvs":{"tlv":[{},{"unknown-tlv":{"state":{"value":"%%%"}}}]}}}}]}}]}}}]}}}]}}]}}`,
			ErrBadValue, `/network-instances/network-instance[name=DEFAULT]/protocols/protocol[identifier=OSPF][name=ospf]/ospfv2/areas/area[identifier=1]/lsdb/lsa-types/lsa-type[type=ROUTER_LSA]/lsas/lsa[link-state-id=x]/opaque-lsa/extended-link/tlvs/tlv[1]/unknown-tlv/state/value: value "%%%" is not base64: illegal base64 data at input byte 0`},
		{"container not an object", nil, `{"interfaces":5}`, ErrBadValue, `/interfaces: got a number, want an object`},
		{"leaf an object", nil, `{"system":{"config":{"hostname":{}}}}`, ErrBadValue, `/system/config/hostname: got an object, want a single value`},
		{"leaf-list not an array", nil, `{"system":{"dns":{"config":{"search":"a"}}}}`, ErrBadValue, `/system/dns/config/search: got a string, want an array`},
		{"list not an array", nil, `{"interfaces":{"interface":"eth0"}}`, ErrBadValue, `/interfaces/interface: got a string, want an array of list entries`},
		{"truncated", nil, `{"interfaces":{"interface":[{"name":"eth0"`, ErrBadValue, `/interfaces/interface[name=eth0]: invalid JSON: unexpected end of data: expected , or } after an object member`},
		{"trailing data", nil, `{} {}`, ErrBadValue, `/: invalid JSON at offset 3: data after the JSON object`},
		{"not an object", nil, `[]`, ErrBadValue, `/: got an array, want an object`},
		{"bad escape", nil, `{"system":{"config":{"hostname":"a\x"}}}`, ErrBadValue, `/system/config/hostname: invalid JSON at offset 34: invalid escape`},
		{"below the root", s.Root.Child("interfaces").Struct.Child("interface").Struct, `{"name":"eth0","config":{"mtu":-1}}`,
			ErrBadValue, `/interfaces/interface/config/mtu: value -1 out of range for uint16`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			if st == nil {
				st = s.Root
			}
			err := s.DecodeJSON([]byte(tt.data), st, reflect.New(st.Type), true)
			if err == nil {
				t.Fatalf("DecodeJSON(%s) succeeded", tt.data)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v is not %v", err, tt.kind)
			}
		})
	}
}

func TestDecodeJSONStrings(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	for _, tt := range []struct{ in, want string }{
		{`"plain"`, "plain"},
		{`"a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t"},
		{`"\u00e9\u2028\ud83d\ude00"`, "é\u2028😀"},
		{`"\ud83d x"`, "\ufffd x"},
		{"\"ünï\xffcode\"", "ünï\ufffdcode"},
	} {
		d := &oc.Device{}
		data := `{"system":{"config":{"hostname":` + tt.in + `}}}`
		if err := s.DecodeJSON([]byte(data), s.Root, reflect.ValueOf(d), true); err != nil {
			t.Errorf("DecodeJSON(%s): %v", tt.in, err)
			continue
		}
		var std string
		json.Unmarshal([]byte(tt.in), &std)
		if got := d.GetSystem().GetConfig().GetHostname(); got != tt.want || got != std {
			t.Errorf("DecodeJSON(%s) = %q, want %q (encoding/json: %q)", tt.in, got, tt.want, std)
		}
	}
}

func TestPrepare(t *testing.T) {
	for _, load := range []func() (*ytypes.Schema, error){oc.Schema, nwmomodel.Schema} {
		if err := mustCompile(t, load).Prepare(); err != nil {
			t.Error(err)
		}
	}
}

func testNwmoRoot() *nwmomodel.Root {
	r := &nwmomodel.Root{}
	for i, name := range []string{"r1", "r10", "r2"} {
		tg := r.GetOrCreateTargets().GetOrCreateTarget(name)
		c := tg.GetOrCreateConfig()
		c.Name, c.Address = ygot.String(name), ygot.String(fmt.Sprintf("192.0.2.%d:9339", i+1))
		c.Adapter, c.Drift, c.OnRemove = nwmomodel.Nwmo_AdapterType_gnmi, nwmomodel.Nwmo_DriftPolicy_repair, nwmomodel.Nwmo_RemovePolicy_keep
		c.Timeout, c.Tls = ygot.Uint32(30), ygot.Bool(true)
		st := tg.GetOrCreateState()
		st.Name, st.Connected, st.LastCommit = ygot.String(name), ygot.Bool(i != 1), ygot.Uint64(uint64(i))
	}
	for _, id := range []uint64{1, 2, 10, 1 << 60} {
		c := r.GetOrCreateCommits().GetOrCreateCommit(id).GetOrCreateState()
		c.Id, c.Status, c.Time = ygot.Uint64(id), nwmomodel.Nwmo_CommitStatus_committed, ygot.Uint64(1700000000000000000+id)
		c.Elements, c.Message = []string{"r1", "r2"}, ygot.String("commit \"quoted\"")
	}
	a := r.GetOrCreateAlarms().GetOrCreateAlarm("a1").GetOrCreateState()
	a.Id, a.Severity, a.Text = ygot.String("a1"), nwmomodel.Nwmo_AlarmSeverity_major, ygot.String("link down")
	return r
}

// TestConcurrentUse runs the lazy compilation of codecs from several
// goroutines at once, for the race detector.
func TestConcurrentUse(t *testing.T) {
	s := mustCompile(t, oc.Schema)
	want := testDevice()
	data := emitYgot(t, want, true)
	ygot.PruneEmptyBranches(want)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			got := &oc.Device{}
			if err := s.DecodeJSON(data, s.Root, reflect.ValueOf(got), true); err != nil {
				errs <- err
				return
			}
			if _, err := s.AppendJSON(nil, s.Root, reflect.ValueOf(got), "", true); err != nil {
				errs <- err
				return
			}
			if !cmp.Equal(want, got) {
				errs <- errors.New("decoded tree differs")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
