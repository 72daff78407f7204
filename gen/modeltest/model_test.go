package modeltest

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/gen/oc"
)

// deviceFile is the valid configuration every test starts from.
const deviceFile = "testdata/device.json"

// Paths into deviceFile that several cases share, in the syntax of at.
const (
	ethernet1    = "openconfig-interfaces:interfaces/interface[name=Ethernet1]"
	ethernet3v4  = "openconfig-interfaces:interfaces/interface[name=Ethernet3]/subinterfaces/subinterface[index=0]/openconfig-if-ip:ipv4"
	ethernet3v6  = "openconfig-interfaces:interfaces/interface[name=Ethernet3]/subinterfaces/subinterface[index=0]/openconfig-if-ip:ipv6"
	defaultNI    = "openconfig-network-instance:network-instances/network-instance[name=DEFAULT]"
	bgpProtocol  = defaultNI + "/protocols/protocol[name=BGP]"
	spine1Peer   = bgpProtocol + "/bgp/neighbors/neighbor[neighbor-address=10.0.12.1]"
	staticRoutes = defaultNI + "/protocols/protocol[name=STATIC]/static-routes"
)

// readDevice returns the bytes of deviceFile.
func readDevice(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(deviceFile)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parseDevice unmarshals data into a Device and fails the test if it cannot.
func parseDevice(t *testing.T, data []byte) *oc.Device {
	t.Helper()
	dev := &oc.Device{}
	if err := oc.Unmarshal(data, dev); err != nil {
		t.Fatalf("oc.Unmarshal(%s): %v", deviceFile, err)
	}
	return dev
}

// decodeJSON decodes RFC 7951 JSON generically, for editing or comparing it
// without the generated structs in the way.
func decodeJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// stage names the step of loading a configuration that rejected it.
type stage string

const (
	atUnmarshal stage = "oc.Unmarshal"
	atValidate  stage = "Validate"
	accepted    stage = "accepted"
)

// load takes data the way a configuration comes in: decode it into the
// generated structs, apply edit (if any) to them, then validate the whole
// tree, which is where leafrefs, patterns and ranges narrower than the Go
// type are checked. It reports the step that failed and its error.
func load(data []byte, edit func(*oc.Device)) (stage, error) {
	dev := &oc.Device{}
	if err := oc.Unmarshal(data, dev); err != nil {
		return atUnmarshal, err
	}
	if edit != nil {
		edit(dev)
	}
	if err := dev.Validate(); err != nil {
		return atValidate, err
	}
	return accepted, nil
}

// at walks doc along path and returns the JSON object it reaches. path is
// written like a gNMI path with member names as they appear in the JSON:
// steps separated by "/", and a list entry selected by "list[key=value]",
// where value is compared with the key member as text (so numeric keys work)
// and may itself contain "/" (e.g. a prefix). A path that does not exist
// fails the test, so an edit can never silently miss its target.
func at(t *testing.T, doc map[string]any, path string) map[string]any {
	t.Helper()
	cur := doc
	for _, step := range splitPath(path) {
		name, sel, isList := strings.Cut(step, "[")
		child, ok := cur[name]
		if !ok {
			t.Fatalf("path %s: no member %q", path, name)
		}
		if !isList {
			if cur, ok = child.(map[string]any); !ok {
				t.Fatalf("path %s: %q is a %T, not an object", path, name, child)
			}
			continue
		}
		key, value, _ := strings.Cut(strings.TrimSuffix(sel, "]"), "=")
		entries, ok := child.([]any)
		if !ok {
			t.Fatalf("path %s: %q is a %T, not a list", path, name, child)
		}
		i := slices.IndexFunc(entries, func(e any) bool {
			obj, ok := e.(map[string]any)
			return ok && fmt.Sprint(obj[key]) == value
		})
		if i < 0 {
			t.Fatalf("path %s: list %q has no entry with %s=%s", path, name, key, value)
		}
		cur = entries[i].(map[string]any)
	}
	return cur
}

// splitPath splits path at the slashes outside list-key brackets.
func splitPath(path string) []string {
	var steps []string
	depth, start := 0, 0
	for i, r := range path {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case '/':
			if depth == 0 {
				steps = append(steps, path[start:i])
				start = i + 1
			}
		}
	}
	return append(steps, path[start:])
}

// rekey changes the key of the list entry at entry, both the key member and
// config/<key>, as a consistent edit of a real configuration would.
func rekey(t *testing.T, doc map[string]any, entry, key string, value any) {
	t.Helper()
	e := at(t, doc, entry)
	cfg := at(t, e, "config") // before the key changes and entry stops matching
	e[key] = value
	cfg[key] = value
}

// sortedKeys returns the keys of a keyed list, which the generated code holds
// as a Go map, in order.
func sortedKeys[V any](list map[string]V) []string {
	return slices.Sorted(maps.Keys(list))
}

// TestValidDevice checks that the realistic configuration loads and
// validates, and that values of every kind came through: identities, enums,
// unions, leafrefs, list keys and a 64-bit integer encoded as a JSON string.
func TestValidDevice(t *testing.T) {
	dev := parseDevice(t, readDevice(t))
	if err := dev.Validate(); err != nil {
		t.Fatalf("Validate() of %s: %v", deviceFile, err)
	}

	ifs := dev.GetInterfaces()
	pc1 := ifs.GetInterface("Port-Channel1")
	ni := dev.GetNetworkInstances().GetNetworkInstance("DEFAULT")
	bgp := ni.GetProtocols().GetProtocol(oc.OpenconfigPolicyTypes_INSTALL_PROTOCOL_TYPE_BGP, "BGP").GetBgp()
	static := ni.GetProtocols().GetProtocol(oc.OpenconfigPolicyTypes_INSTALL_PROTOCOL_TYPE_STATIC, "STATIC").GetStaticRoutes()

	// lagMembers maps each LAG to the interfaces whose aggregate-id names it.
	lagMembers := map[string][]string{}
	for name, intf := range ifs.Interface {
		if lag := intf.GetEthernet().GetConfig().GetAggregateId(); lag != "" {
			lagMembers[lag] = append(lagMembers[lag], name)
		}
	}
	for _, members := range lagMembers {
		slices.Sort(members)
	}

	type peer struct {
		PeerAS    uint32
		PeerGroup string
	}
	peers := map[string]peer{}
	for addr, n := range bgp.GetNeighbors().Neighbor {
		peers[addr] = peer{n.GetConfig().GetPeerAs(), n.GetConfig().GetPeerGroup()}
	}

	tests := []struct {
		name      string
		got, want any
	}{
		{"hostname", dev.GetSystem().GetConfig().GetHostname(), "leaf1"},
		{"interfaces", sortedKeys(ifs.Interface), []string{"Ethernet1", "Ethernet2", "Ethernet3", "Ethernet4", "Loopback0", "Port-Channel1"}},
		{"Ethernet1 mtu", ifs.GetInterface("Ethernet1").GetConfig().GetMtu(), uint16(9216)},
		{"Ethernet4 enabled", ifs.GetInterface("Ethernet4").GetConfig().GetEnabled(), false},
		{"Ethernet1 port-speed", ifs.GetInterface("Ethernet1").GetEthernet().GetConfig().GetPortSpeed(), oc.OpenconfigIfEthernet_ETHERNET_SPEED_SPEED_100GB},
		{"Loopback0 type", ifs.GetInterface("Loopback0").GetConfig().GetType(), oc.IETFInterfaces_InterfaceType_softwareLoopback},
		{"Port-Channel1 type", pc1.GetConfig().GetType(), oc.IETFInterfaces_InterfaceType_ieee8023adLag},
		{"Port-Channel1 lag-type", pc1.GetAggregation().GetConfig().GetLagType(), oc.OpenconfigIfAggregate_AggregationType_LACP},
		{"LAG members", lagMembers, map[string][]string{"Port-Channel1": {"Ethernet1", "Ethernet2"}}},
		{"Port-Channel1.0 IPv4 prefix-length", pc1.GetSubinterfaces().GetSubinterface(0).GetIpv4().GetAddresses().GetAddress("10.0.12.0").GetConfig().GetPrefixLength(), uint8(31)},
		{"Port-Channel1.0 IPv6 prefix-length", pc1.GetSubinterfaces().GetSubinterface(0).GetIpv6().GetAddresses().GetAddress("2001:db8:0:12::").GetConfig().GetPrefixLength(), uint8(127)},
		{"NTP servers", sortedKeys(dev.GetSystem().GetNtp().GetServers().Server), []string{"192.0.2.123", "2001:db8::123"}},
		{"DNS servers", sortedKeys(dev.GetSystem().GetDns().GetServers().Server), []string{"192.0.2.53", "2001:db8::53"}},
		{"DNS search", dev.GetSystem().GetDns().GetConfig().GetSearch(), []string{"dc1.example.net", "example.net"}},
		{"LLDP hello-timer (uint64, a JSON string)", dev.GetLldp().GetConfig().GetHelloTimer(), uint64(30)},
		{"network-instance type", ni.GetConfig().GetType(), oc.OpenconfigNetworkInstanceTypes_NETWORK_INSTANCE_TYPE_DEFAULT_INSTANCE},
		{"network-instance interfaces", sortedKeys(ni.GetInterfaces().Interface), []string{"Ethernet3.0", "Loopback0.0", "Port-Channel1.0"}},
		{"static routes", len(static.Static), 3},
		{"default route via spine1 (union: IP address)", static.GetStatic("0.0.0.0/0").GetNextHops().GetNextHop("spine1").GetConfig().GetNextHop(), oc.UnionString("10.0.12.1")},
		{"blackhole next-hop (union: identity)", static.GetStatic("198.51.100.0/24").GetNextHops().GetNextHop("drop").GetConfig().GetNextHop(), oc.OpenconfigLocalRouting_LOCAL_DEFINED_NEXT_HOP_DROP},
		{"BGP AS", bgp.GetGlobal().GetConfig().GetAs(), uint32(65001)},
		{"BGP router-id", bgp.GetGlobal().GetConfig().GetRouterId(), "192.0.2.1"},
		{"BGP neighbors", peers, map[string]peer{
			"10.0.12.1":        {65000, "SPINE"},
			"10.0.13.1":        {65000, "SPINE"},
			"2001:db8:0:12::1": {65000, "SPINE"},
			"203.0.113.9":      {64496, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// TestDeviceFileIsCanonical compares deviceFile with what ygot emits for it
// as module-qualified RFC 7951. oc.Unmarshal ignores module prefixes (see
// TestAcceptedDespiteInvalid), so TestValidDevice alone would not notice a
// member qualified at the wrong place; the emitter qualifies exactly at
// namespace boundaries as RFC 7951 section 4 requires. Equality also shows
// that no leaf was dropped or defaulted on the way in and that 64-bit
// integers are strings.
func TestDeviceFileIsCanonical(t *testing.T) {
	data := readDevice(t)
	out, err := ygot.EmitJSON(parseDevice(t, data), &ygot.EmitJSONConfig{
		Format:        ygot.RFC7951,
		RFC7951Config: &ygot.RFC7951JSONConfig{AppendModuleName: true},
	})
	if err != nil {
		t.Fatalf("ygot.EmitJSON: %v", err)
	}
	// Keyed lists are Go maps in the generated code, so the emitter orders
	// their entries by key and the order in the file means nothing. Sorting
	// every JSON array by its encoding makes the comparison order-blind.
	byEncoding := cmpopts.SortSlices(func(a, b any) bool {
		ea, _ := json.Marshal(a)
		eb, _ := json.Marshal(b)
		return string(ea) < string(eb)
	})
	if diff := cmp.Diff(decodeJSON(t, data), decodeJSON(t, []byte(out)), byEncoding); diff != "" {
		t.Errorf("%s differs from ygot's RFC 7951 encoding of it (-file +emitted):\n%s", deviceFile, diff)
	}
}

// TestRoundTrip checks that emitting the device as RFC 7951 JSON and
// unmarshalling that again gives the same device, with and without module
// names on the members.
func TestRoundTrip(t *testing.T) {
	dev := parseDevice(t, readDevice(t))
	tests := []struct {
		name string
		cfg  *ygot.EmitJSONConfig
	}{
		{"RFC7951", &ygot.EmitJSONConfig{Format: ygot.RFC7951}},
		{"RFC7951 module-qualified", &ygot.EmitJSONConfig{
			Format:        ygot.RFC7951,
			RFC7951Config: &ygot.RFC7951JSONConfig{AppendModuleName: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ygot.EmitJSON(dev, tt.cfg)
			if err != nil {
				t.Fatalf("ygot.EmitJSON: %v", err)
			}
			got := &oc.Device{}
			if err := oc.Unmarshal([]byte(out), got); err != nil {
				t.Fatalf("oc.Unmarshal of the emitted JSON: %v\n%s", err, out)
			}
			if diff := cmp.Diff(dev, got); diff != "" {
				t.Errorf("round trip changed the device (-want +got):\n%s", diff)
			}
			// ygot.Diff compares leaf by leaf along the schema paths, the
			// way a gNMI client would see a change.
			n, err := ygot.Diff(dev, got)
			if err != nil {
				t.Fatalf("ygot.Diff: %v", err)
			}
			if len(n.GetUpdate()) != 0 || len(n.GetDelete()) != 0 {
				t.Errorf("ygot.Diff(original, round-tripped) = %v, want no updates or deletes", n)
			}
		})
	}
}

// TestInvalidDevice checks that small invalid edits of the valid
// configuration are rejected, at the step expected, with an error naming
// the offending schema path (or leaf) and value. Errors name schema paths
// rooted at the fake root /device, without list keys.
func TestInvalidDevice(t *testing.T) {
	tests := []struct {
		name string
		// Exactly one of editJSON and editDevice is set: editJSON edits the
		// decoded JSON before oc.Unmarshal, editDevice edits the structs
		// after it.
		editJSON   func(t *testing.T, doc map[string]any)
		editDevice func(dev *oc.Device)
		rejectedBy stage
		wantInErr  []string
	}{
		// Types and ranges.
		{
			name:       "mtu beyond uint16",
			editJSON:   func(t *testing.T, doc map[string]any) { at(t, doc, ethernet1+"/config")["mtu"] = 70000 },
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"schema mtu", "70000"},
		},
		{
			name:       "mtu as JSON string",
			editJSON:   func(t *testing.T, doc map[string]any) { at(t, doc, ethernet1+"/config")["mtu"] = "9216" },
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"field mtu", "got string"},
		},
		{
			// RFC 7951 section 6.1: 64-bit integers are JSON strings.
			name: "uint64 as JSON number",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, "openconfig-lldp:lldp/config")["hello-timer"] = 30
			},
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"field hello-timer", "got float64"},
		},
		{
			name: "BGP AS beyond uint32",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, bgpProtocol+"/bgp/global/config")["as"] = 4294967296
			},
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"schema as", "4294967296"},
		},
		{
			name:       "boolean as JSON string",
			editJSON:   func(t *testing.T, doc map[string]any) { at(t, doc, ethernet1+"/config")["enabled"] = "true" },
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"field enabled", "got string"},
		},
		{
			name: "IPv6 prefix-length beyond 128",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, ethernet3v6+"/addresses/address[ip=2001:db8:0:13::]/config")["prefix-length"] = 129
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/interfaces/interface/subinterfaces/subinterface/ipv6/addresses/address/config/prefix-length", "129"},
		},

		// Patterns.
		{
			name: "IPv4 address with an octet beyond 255",
			editJSON: func(t *testing.T, doc map[string]any) {
				rekey(t, doc, ethernet3v4+"/addresses/address[ip=10.0.13.0]", "ip", "10.0.0.300")
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/interfaces/interface/subinterfaces/subinterface/ipv4/addresses/address/config/ip", `"10.0.0.300"`},
		},
		{
			name: "IPv6 address with a non-hex group",
			editJSON: func(t *testing.T, doc map[string]any) {
				rekey(t, doc, ethernet3v6+"/addresses/address[ip=2001:db8:0:13::]", "ip", "2001:db8::zz")
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/interfaces/interface/subinterfaces/subinterface/ipv6/addresses/address/config/ip", `"2001:db8::zz"`},
		},
		{
			name: "static next-hop that is not an address",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, staticRoutes+"/static[prefix=0.0.0.0/0]/next-hops/next-hop[index=spine1]/config")["next-hop"] = "10.0.12.256"
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/network-instances/network-instance/protocols/protocol/static-routes/static/next-hops/next-hop/config/next-hop", `"10.0.12.256"`},
		},
		{
			name: "hostname with a space",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, "openconfig-system:system/config")["hostname"] = "leaf 1"
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/system/config/hostname", `"leaf 1"`},
		},

		// Names the schema does not have.
		{
			name:       "unknown leaf",
			editJSON:   func(t *testing.T, doc map[string]any) { at(t, doc, ethernet1+"/config")["mtuu"] = 9216 },
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"unexpected field mtuu", "container config"},
		},
		{
			name:       "unknown top-level module",
			editJSON:   func(t *testing.T, doc map[string]any) { doc["openconfig-foo:foo"] = map[string]any{} },
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"unexpected field foo"},
		},

		// Enumerations and identities. The errors name the Go field and
		// type, not the YANG leaf.
		{
			name: "unknown enumeration value",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, "openconfig-interfaces:interfaces/interface[name=Port-Channel1]/openconfig-if-aggregate:aggregation/config")["lag-type"] = "PAGP"
			},
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"PAGP", "field LagType"},
		},
		{
			name: "unknown identity",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, ethernet1+"/config")["type"] = "iana-if-type:ethernetCsmaCd"
			},
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"iana-if-type:ethernetCsmaCd", "field Type"},
		},
		{
			name: "identity derived from the wrong base",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, ethernet1+"/config")["type"] = "openconfig-network-instance-types:DEFAULT_INSTANCE"
			},
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"DEFAULT_INSTANCE", "E_IETFInterfaces_InterfaceType"},
		},

		// List keys. The key leaf of an OpenConfig list is a leafref to
		// config/<key>, so a mismatch shows up as that leafref failing, and
		// the error carries the list key rather than the config value.
		{
			name:       "interface key differs from config/name",
			editJSON:   func(t *testing.T, doc map[string]any) { at(t, doc, ethernet1+"/config")["name"] = "Ethernet99" },
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/interfaces/interface/name", "../config/name", "Ethernet1"},
		},
		{
			name: "BGP neighbor key differs from config/neighbor-address",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, spine1Peer+"/config")["neighbor-address"] = "10.0.12.99"
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/network-instances/network-instance/protocols/protocol/bgp/neighbors/neighbor/neighbor-address", "10.0.12.1"},
		},
		{
			name:       "list entry without its key",
			editJSON:   func(t *testing.T, doc map[string]any) { delete(at(t, doc, ethernet1), "name") },
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"key field name"},
		},
		{
			name: "numeric list key as JSON string",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, "openconfig-interfaces:interfaces/interface[name=Ethernet3]/subinterfaces/subinterface[index=0]")["index"] = "0"
			},
			rejectedBy: atUnmarshal,
			wantInErr:  []string{"field index", "got string"},
		},

		// Dangling leafrefs.
		{
			name:       "BGP neighbor in a peer-group that does not exist",
			editJSON:   func(t *testing.T, doc map[string]any) { at(t, doc, spine1Peer+"/config")["peer-group"] = "LEAF" },
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/network-instances/network-instance/protocols/protocol/bgp/neighbors/neighbor/config/peer-group", "LEAF", "../../../../peer-groups/peer-group/peer-group-name"},
		},
		{
			name: "network-instance interface that does not exist",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, defaultNI+"/interfaces/interface[id=Ethernet3.0]/config")["interface"] = "Ethernet9"
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/network-instances/network-instance/interfaces/interface/config/interface", "Ethernet9", "/interfaces/interface/name"},
		},
		{
			name: "network-instance subinterface that does not exist",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, defaultNI+"/interfaces/interface[id=Ethernet3.0]/config")["subinterface"] = 7
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/network-instances/network-instance/interfaces/interface/config/subinterface", "value 7"},
		},
		{
			name: "LAG member of a LAG that does not exist",
			editJSON: func(t *testing.T, doc map[string]any) {
				at(t, doc, ethernet1+"/openconfig-if-ethernet:ethernet/config")["openconfig-if-aggregate:aggregate-id"] = "Port-Channel9"
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/interfaces/interface/ethernet/config/aggregate-id", "Port-Channel9"},
		},
		{
			name: "LLDP on an interface that does not exist",
			editJSON: func(t *testing.T, doc map[string]any) {
				rekey(t, doc, "openconfig-lldp:lldp/interfaces/interface[name=Ethernet3]", "name", "Ethernet9")
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/lldp/interfaces/interface/config/name", "Ethernet9"},
		},
		{
			name: "peer-group deleted while neighbors use it",
			editDevice: func(dev *oc.Device) {
				dev.GetNetworkInstances().GetNetworkInstance("DEFAULT").
					GetProtocols().GetProtocol(oc.OpenconfigPolicyTypes_INSTALL_PROTOCOL_TYPE_BGP, "BGP").
					GetBgp().GetPeerGroups().DeletePeerGroup("SPINE")
			},
			rejectedBy: atValidate,
			wantInErr:  []string{"/device/network-instances/network-instance/protocols/protocol/bgp/neighbors/neighbor/config/peer-group", "SPINE"},
		},
		{
			name:       "LAG deleted while members and the network-instance use it",
			editDevice: func(dev *oc.Device) { dev.GetInterfaces().DeleteInterface("Port-Channel1") },
			rejectedBy: atValidate,
			wantInErr: []string{
				"/device/interfaces/interface/ethernet/config/aggregate-id",
				"/device/network-instances/network-instance/interfaces/interface/config/interface",
				"Port-Channel1",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := readDevice(t)
			if tt.editJSON != nil {
				doc := decodeJSON(t, data)
				tt.editJSON(t, doc)
				var err error
				if data, err = json.Marshal(doc); err != nil {
					t.Fatal(err)
				}
			}
			got, err := load(data, tt.editDevice)
			if diff := cmp.Diff(tt.rejectedBy, got); diff != "" {
				t.Fatalf("rejected by (-want +got):\n%s\nerror: %v", diff, err)
			}
			msg := err.Error()
			var found []string
			for _, s := range tt.wantInErr {
				if strings.Contains(msg, s) {
					found = append(found, s)
				}
			}
			if diff := cmp.Diff(tt.wantInErr, found); diff != "" {
				t.Errorf("error does not name all of the offending path and value (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}

// TestAcceptedDespiteInvalid pins inputs that are invalid (by RFC 7950,
// RFC 7951 or the device's semantics) but that oc.Unmarshal and Validate
// accept. They are known gaps, recorded so that nobody relies on the
// generated code to catch them; a case failing here means ygot (or the
// model) has started rejecting it, and it belongs in TestInvalidDevice.
func TestAcceptedDespiteInvalid(t *testing.T) {
	tests := []struct {
		name string
		edit func(t *testing.T, doc map[string]any)
	}{
		{
			// The YANG type is a bare uint16; nothing says an Ethernet MTU
			// must be at least 68 (or 1280 for IPv6).
			name: "mtu 10 on an Ethernet interface",
			edit: func(t *testing.T, doc map[string]any) { at(t, doc, ethernet1+"/config")["mtu"] = 10 },
		},
		{
			// RFC 7951 section 6.8: identities are always module-qualified.
			// ygot drops whatever is before the colon, or takes the bare name.
			name: "identity without module name",
			edit: func(t *testing.T, doc map[string]any) { at(t, doc, ethernet1+"/config")["type"] = "ethernetCsmacd" },
		},
		{
			name: "identity with the wrong module name",
			edit: func(t *testing.T, doc map[string]any) {
				at(t, doc, ethernet1+"/config")["type"] = "openconfig-interfaces:ethernetCsmacd"
			},
		},
		{
			// RFC 7951 section 4: a top-level member must be qualified.
			name: "top-level member without module name",
			edit: func(t *testing.T, doc map[string]any) {
				doc["system"] = doc["openconfig-system:system"]
				delete(doc, "openconfig-system:system")
			},
		},
		{
			name: "member qualified with the wrong module",
			edit: func(t *testing.T, doc map[string]any) {
				intf := at(t, doc, ethernet1)
				intf["openconfig-system:config"] = intf["config"]
				delete(intf, "config")
			},
		},
		{
			// RFC 7951 section 5.4: the entries of a list are distinct by
			// key. ygot merges the second entry into the first, its leaves
			// overwriting (here Ethernet1's mtu becomes 1500).
			name: "two list entries with the same key",
			edit: func(t *testing.T, doc map[string]any) {
				ifs := at(t, doc, "openconfig-interfaces:interfaces")
				ifs["interface"] = append(ifs["interface"].([]any), map[string]any{
					"name":   "Ethernet1",
					"config": map[string]any{"name": "Ethernet1", "mtu": 1500},
				})
			},
		},
		{
			// RFC 7950 section 7.7: values of a config leaf-list are unique.
			name: "duplicate leaf-list values",
			edit: func(t *testing.T, doc map[string]any) {
				at(t, doc, "openconfig-system:system/dns/config")["search"] = []any{"example.net", "example.net"}
			},
		},
		{
			// RFC 7951 has no null leaf value (only [null] for type empty);
			// ygot leaves the leaf unset.
			name: "JSON null as a leaf value",
			edit: func(t *testing.T, doc map[string]any) { at(t, doc, ethernet1+"/config")["mtu"] = nil },
		},
		{
			// `when "./config/identifier = 'oc-pol-types:STATIC'"` on
			// static-routes: ygot does not evaluate when or must.
			name: "static routes under the BGP protocol",
			edit: func(t *testing.T, doc map[string]any) {
				at(t, doc, bgpProtocol)["static-routes"] = at(t, doc, defaultNI+"/protocols/protocol[name=STATIC]")["static-routes"]
			},
		},
		{
			// The structs hold state as well as config, so config false
			// nodes in a configuration are not noticed.
			name: "state in a configuration",
			edit: func(t *testing.T, doc map[string]any) {
				at(t, doc, ethernet1)["state"] = map[string]any{"oper-status": "UP"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decodeJSON(t, readDevice(t))
			tt.edit(t, doc)
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := load(data, nil)
			if diff := cmp.Diff(accepted, got); diff != "" {
				t.Errorf("now rejected, move the case to TestInvalidDevice (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}
