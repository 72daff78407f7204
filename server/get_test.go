package server

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/grpc/codes"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/oc"
)

// jsonOf decodes the JSON value of an update.
func jsonOf(t testing.TB, tv *gpb.TypedValue) any {
	t.Helper()
	b := tv.GetJsonIetfVal()
	if b == nil {
		b = tv.GetJsonVal()
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("value %s: %v", b, err)
	}
	return v
}

// leafMap flattens PROTO updates into path -> scalar value.
func leafMap(t testing.TB, n *gpb.Notification) map[string]any {
	t.Helper()
	m := map[string]any{}
	for _, u := range n.GetUpdate() {
		v, err := ygotValue(u.GetVal())
		if err != nil {
			t.Fatal(err)
		}
		m[tree.FormatPath(u.GetPath().GetElem())] = v
	}
	return m
}

func ygotValue(tv *gpb.TypedValue) (any, error) {
	switch v := tv.GetValue().(type) {
	case *gpb.TypedValue_StringVal:
		return v.StringVal, nil
	case *gpb.TypedValue_UintVal:
		return float64(v.UintVal), nil
	case *gpb.TypedValue_IntVal:
		return float64(v.IntVal), nil
	case *gpb.TypedValue_BoolVal:
		return v.BoolVal, nil
	}
	return nil, nil
}

func TestGetEncodings(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0", "eth1")

	for _, tc := range []struct {
		name string
		enc  gpb.Encoding
		path string
		want any
	}{
		{"JSON_IETF container", gpb.Encoding_JSON_IETF, "/interfaces/interface[name=eth0]/config",
			map[string]any{"openconfig-interfaces:name": "eth0", "openconfig-interfaces:mtu": float64(1500), "openconfig-interfaces:description": "port eth0"}},
		{"JSON container", gpb.Encoding_JSON, "/interfaces/interface[name=eth0]/config",
			map[string]any{"name": "eth0", "mtu": float64(1500), "description": "port eth0"}},
		{"JSON_IETF leaf", gpb.Encoding_JSON_IETF, "/interfaces/interface[name=eth1]/config/mtu", float64(1500)},
		{"JSON_IETF list is an array", gpb.Encoding_JSON_IETF, "/interfaces/interface",
			[]any{
				map[string]any{"name": "eth0", "config": map[string]any{"name": "eth0", "mtu": float64(1500), "description": "port eth0"}},
				map[string]any{"name": "eth1", "config": map[string]any{"name": "eth1", "mtu": float64(1500), "description": "port eth1"}},
			}},
		{"JSON list is keyed by the entries' keys", gpb.Encoding_JSON, "/interfaces/interface",
			map[string]any{
				"eth0": map[string]any{"name": "eth0", "config": map[string]any{"name": "eth0", "mtu": float64(1500), "description": "port eth0"}},
				"eth1": map[string]any{"name": "eth1", "config": map[string]any{"name": "eth1", "mtu": float64(1500), "description": "port eth1"}},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Path: []*gpb.Path{path(t, tc.path)}, Encoding: tc.enc})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetNotification()) != 1 || len(resp.Notification[0].GetUpdate()) != 1 {
				t.Fatalf("response %v: want one notification of one update", resp)
			}
			u := resp.Notification[0].Update[0]
			if got := tree.FormatPath(u.GetPath().GetElem()); got != tc.path {
				t.Errorf("update path %s, want %s", got, tc.path)
			}
			if tc.enc == gpb.Encoding_JSON && u.GetVal().GetJsonVal() == nil || tc.enc == gpb.Encoding_JSON_IETF && u.GetVal().GetJsonIetfVal() == nil {
				t.Errorf("value %v is not of encoding %v", u.GetVal(), tc.enc)
			}
			if diff := cmp.Diff(tc.want, jsonOf(t, u.GetVal())); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("PROTO gives one scalar per leaf", func(t *testing.T) {
		resp, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"},
			Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]")}, Encoding: gpb.Encoding_PROTO})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"/interfaces/interface[name=eth0]/name":               "eth0",
			"/interfaces/interface[name=eth0]/config/name":        "eth0",
			"/interfaces/interface[name=eth0]/config/mtu":         float64(1500),
			"/interfaces/interface[name=eth0]/config/description": "port eth0",
		}
		if diff := cmp.Diff(want, leafMap(t, resp.Notification[0])); diff != "" {
			t.Errorf("leaves (-want +got):\n%s", diff)
		}
	})

	t.Run("JSON_IETF qualifies top-level members and 64-bit numbers are strings", func(t *testing.T) {
		resp, err := f.c.Get(ctxT(t), &gpb.GetRequest{Path: []*gpb.Path{path(t, "/commits/commit[id=1]/state")}, Encoding: gpb.Encoding_JSON_IETF})
		if err != nil {
			t.Fatal(err)
		}
		got := jsonOf(t, resp.Notification[0].Update[0].GetVal()).(map[string]any)
		if id, ok := got["nwmo:id"].(string); !ok || id != "1" {
			t.Errorf("nwmo:id = %#v in %v, want the string \"1\"", got["nwmo:id"], got)
		}
	})

	t.Run("unsupported encodings are Unimplemented", func(t *testing.T) {
		for _, enc := range []gpb.Encoding{gpb.Encoding_ASCII, gpb.Encoding_BYTES, 42} {
			_, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Path: []*gpb.Path{path(t, "/interfaces")}, Encoding: enc})
			wantCode(t, err, codes.Unimplemented)
		}
	})
}

func TestGetPaths(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0", "eth1", "eth2")

	get := func(t *testing.T, req *gpb.GetRequest) (*gpb.GetResponse, error) {
		t.Helper()
		if req.Prefix == nil {
			req.Prefix = &gpb.Path{Target: "sim-0"}
		}
		req.Encoding = gpb.Encoding_PROTO
		return f.c.Get(ctxT(t), req)
	}
	paths := func(n *gpb.Notification) []string {
		var out []string
		for _, u := range n.GetUpdate() {
			if hasWildcard(u.GetPath().GetElem()) {
				t.Errorf("update path %s holds a wildcard", tree.FormatPath(u.GetPath().GetElem()))
			}
			out = append(out, tree.FormatPath(u.GetPath().GetElem()))
		}
		return out
	}
	mtus := []string{
		"/interfaces/interface[name=eth0]/config/mtu",
		"/interfaces/interface[name=eth1]/config/mtu",
		"/interfaces/interface[name=eth2]/config/mtu",
	}
	for _, tc := range []struct {
		name string
		req  *gpb.GetRequest
		want [][]string // per notification
		code codes.Code
	}{
		{"key wildcard", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[name=*]/config/mtu")}}, [][]string{mtus}, codes.OK},
		{"omitted key means *", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface/config/mtu")}}, [][]string{mtus}, codes.OK},
		{"* matches one level", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/*/*/mtu")}}, [][]string{mtus}, codes.OK},
		{"... matches any levels", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/.../mtu")}}, [][]string{mtus}, codes.OK},
		{"prefix joins the path", &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0", Elem: path(t, "/interfaces/interface[name=eth1]").Elem},
			Path: []*gpb.Path{path(t, "/config/mtu")}}, [][]string{{mtus[1]}}, codes.OK},
		{"one notification per path", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]/config/mtu"), path(t, "/interfaces/interface[name=eth2]/config/mtu")}},
			[][]string{{mtus[0]}, {mtus[2]}}, codes.OK},
		{"the same path twice is answered twice", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]/config/mtu"), path(t, "/interfaces/interface[name=eth0]/config/mtu")}},
			[][]string{{mtus[0]}, {mtus[0]}}, codes.OK},
		{"module-prefixed names", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/openconfig-interfaces:interfaces/interface[name=eth0]/config/mtu")}}, [][]string{{mtus[0]}}, codes.OK},
		{"origin openconfig", &gpb.GetRequest{Path: []*gpb.Path{{Origin: "openconfig", Elem: path(t, "/interfaces/interface[name=eth0]/config/mtu").Elem}}}, [][]string{{mtus[0]}}, codes.OK},
		{"origin in the prefix", &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0", Origin: "openconfig"}, Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]/config/mtu")}}, [][]string{{mtus[0]}}, codes.OK},

		{"a missing entry is NotFound", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth9]")}}, nil, codes.NotFound},
		{"an unset leaf is NotFound", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]/config/enabled")}}, nil, codes.NotFound},
		{"a wildcard matching nothing is NotFound", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[name=*]/config/enabled")}}, nil, codes.NotFound},
		{"a path outside the schema is NotFound", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/bogus")}}, nil, codes.NotFound},
		{"a name with a slash is InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "interfaces/interface"}}}}}, nil, codes.InvalidArgument},
		{"an empty name is InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: ""}}}}}, nil, codes.InvalidArgument},
		{"the deprecated element field is InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{{Element: []string{"interfaces"}}}}, nil, codes.InvalidArgument},
		{"a key that is not the list's is InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[id=1]")}}, nil, codes.InvalidArgument},
		{"keys on a container are InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces[name=x]")}}, nil, codes.InvalidArgument},
		{"a path below a leaf is InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]/config/mtu/x")}}, nil, codes.InvalidArgument},
		{"a key of the wrong type is InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]/subinterfaces/subinterface[index=abc]")}}, nil, codes.InvalidArgument},
		{"origin both in prefix and path is InvalidArgument", &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0", Origin: "openconfig"},
			Path: []*gpb.Path{{Origin: "openconfig", Elem: path(t, "/interfaces").Elem}}}, nil, codes.InvalidArgument},
		{"another origin is InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{{Origin: "cli", Elem: path(t, "/interfaces").Elem}}}, nil, codes.InvalidArgument},
		{"origin nwmo on an element is InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{{Origin: "nwmo", Elem: path(t, "/interfaces").Elem}}}, nil, codes.InvalidArgument},
		{"a target in the path is InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{{Target: "sim-0", Elem: path(t, "/interfaces").Elem}}}, nil, codes.InvalidArgument},
		{"an unknown target is NotFound", &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-9"}, Path: []*gpb.Path{path(t, "/interfaces")}}, nil, codes.NotFound},
		{"a bad data type is InvalidArgument", &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces")}, Type: 9}, nil, codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := get(t, tc.req)
			wantCode(t, err, tc.code)
			if err != nil {
				return
			}
			var got [][]string
			for _, n := range resp.GetNotification() {
				got = append(got, paths(n))
				if hasWildcard(n.GetPrefix().GetElem()) {
					t.Errorf("notification prefix %v holds a wildcard", n.GetPrefix())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("paths per notification (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("the unknown target's error names the known ones", func(t *testing.T) {
		_, err := get(t, &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-9"}, Path: []*gpb.Path{path(t, "/")}})
		if err == nil || !strings.Contains(err.Error(), "nwmo, sim-0") {
			t.Errorf("error %v does not name the known targets nwmo, sim-0", err)
		}
	})
	t.Run("the root of an empty element is answered", func(t *testing.T) {
		f.addElement(t, "sim-1")
		resp, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-1"}, Path: []*gpb.Path{path(t, "/")}, Encoding: gpb.Encoding_JSON_IETF})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]any{}, jsonOf(t, resp.Notification[0].Update[0].GetVal())); diff != "" {
			t.Errorf("root of an empty element (-want +got):\n%s", diff)
		}
	})
}

func TestGetTargetEcho(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	before := time.Now().UnixNano()
	for _, tc := range []struct {
		name   string
		prefix *gpb.Path
		path   string
		want   *gpb.Path
	}{
		{"target set is echoed", &gpb.Path{Target: "sim-0"}, "/interfaces", &gpb.Path{Target: "sim-0"}},
		{"target nwmo set is echoed", &gpb.Path{Target: "nwmo"}, "/targets", &gpb.Path{Target: "nwmo"}},
		{"no target: nwmo, nothing echoed", nil, "/targets", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: tc.prefix, Path: []*gpb.Path{path(t, tc.path)}})
			if err != nil {
				t.Fatal(err)
			}
			n := resp.Notification[0]
			if diff := diffProto(tc.want, n.GetPrefix()); diff != "" {
				t.Errorf("prefix (-want +got):\n%s", diff)
			}
			if ts := n.GetTimestamp(); ts < before || ts > time.Now().UnixNano() {
				t.Errorf("timestamp %d is not the nanoseconds of now", ts)
			}
		})
	}
}

func TestGetOwnModel(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	f.set(t, "sim-0@c1", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=eth0]/config/mtu"), Val: uintVal(9000)}}})

	get := func(t *testing.T, req *gpb.GetRequest) *gpb.Notification {
		t.Helper()
		req.Encoding = gpb.Encoding_PROTO
		resp, err := f.c.Get(ctxT(t), req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Notification[0]
	}
	t.Run("commits", func(t *testing.T) {
		got := leafMap(t, get(t, &gpb.GetRequest{Path: []*gpb.Path{path(t, "/commits/commit[id=2]/state")}}))
		for k, want := range map[string]any{
			"/commits/commit[id=2]/state/id":       float64(2),
			"/commits/commit[id=2]/state/user":     "anonymous",
			"/commits/commit[id=2]/state/status":   "committed",
			"/commits/commit[id=2]/state/elements": nil, // a leaf-list: present
		} {
			v, ok := got[k]
			if !ok || want != nil && v != want {
				t.Errorf("%s = %v (present %v), want %v; all: %v", k, v, ok, want, got)
			}
		}
	})
	t.Run("candidates", func(t *testing.T) {
		got := leafMap(t, get(t, &gpb.GetRequest{Prefix: &gpb.Path{Target: "nwmo"}, Path: []*gpb.Path{path(t, "/candidates/candidate[name=c1]/state/owner")}}))
		if diff := cmp.Diff(map[string]any{"/candidates/candidate[name=c1]/state/owner": "anonymous"}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("origin nwmo", func(t *testing.T) {
		n := get(t, &gpb.GetRequest{Path: []*gpb.Path{{Origin: "nwmo", Elem: path(t, "/targets/target[name=sim-0]/config/adapter").Elem}}})
		if diff := cmp.Diff(map[string]any{"/targets/target[name=sim-0]/config/adapter": "none"}, leafMap(t, n)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("types", func(t *testing.T) {
		tops := func(n *gpb.Notification) map[string]bool {
			m := map[string]bool{}
			for _, u := range n.GetUpdate() {
				m[u.GetPath().GetElem()[0].GetName()] = true
			}
			return m
		}
		for _, tc := range []struct {
			kind gpb.GetRequest_DataType
			want map[string]bool
		}{
			{gpb.GetRequest_ALL, map[string]bool{"targets": true, "commits": true, "candidates": true}},
			{gpb.GetRequest_CONFIG, map[string]bool{"targets": true}},
			{gpb.GetRequest_STATE, map[string]bool{"commits": true, "candidates": true}},
			{gpb.GetRequest_OPERATIONAL, map[string]bool{"commits": true, "candidates": true}},
		} {
			got := tops(get(t, &gpb.GetRequest{Path: []*gpb.Path{path(t, "/")}, Type: tc.kind}))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("type %v: top-level nodes (-want +got):\n%s", tc.kind, diff)
			}
		}
	})
	t.Run("a candidate's view", func(t *testing.T) {
		for target, want := range map[string]float64{"sim-0": 1500, "sim-0@c1": 9000, "sim-0@c2": 1500} {
			n := get(t, &gpb.GetRequest{Prefix: &gpb.Path{Target: target}, Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]/config/mtu")}})
			if got := leafMap(t, n)["/interfaces/interface[name=eth0]/config/mtu"]; got != want {
				t.Errorf("target %s: mtu %v, want %v", target, got, want)
			}
		}
	})
	t.Run("bad candidate targets are InvalidArgument", func(t *testing.T) {
		for _, target := range []string{"nwmo@c1", "sim-0@", "@c1"} {
			_, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: target}, Path: []*gpb.Path{path(t, "/")}})
			wantCode(t, err, codes.InvalidArgument)
		}
	})
}

func TestGetUseModels(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/system/config/hostname"), Val: strVal("r1")}}})

	for _, tc := range []struct {
		name   string
		models []string
		path   string
		want   []string // top-level members of the root's JSON
		code   codes.Code
	}{
		{"none: everything", nil, "/", []string{"openconfig-interfaces:interfaces", "openconfig-system:system"}, codes.OK},
		{"interfaces", []string{"openconfig-interfaces"}, "/", []string{"openconfig-interfaces:interfaces"}, codes.OK},
		{"system", []string{"openconfig-system"}, "/", []string{"openconfig-system:system"}, codes.OK},
		{"a path outside the models is NotFound", []string{"openconfig-system"}, "/interfaces", nil, codes.NotFound},
		{"an unknown model is InvalidArgument", []string{"acme-widgets"}, "/", nil, codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Path: []*gpb.Path{path(t, tc.path)}, Encoding: gpb.Encoding_JSON_IETF}
			for _, m := range tc.models {
				req.UseModels = append(req.UseModels, &gpb.ModelData{Name: m})
			}
			resp, err := f.c.Get(ctxT(t), req)
			wantCode(t, err, tc.code)
			if err != nil {
				return
			}
			var got []string
			for k := range jsonOf(t, resp.Notification[0].Update[0].GetVal()).(map[string]any) {
				got = append(got, k)
			}
			if diff := cmp.Diff(tc.want, got, cmpSortStrings); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
}

var cmpSortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// TestDataTypes checks the CONFIG, STATE and OPERATIONAL filters on an
// element tree holding state, which only the southbound writes: the tree is
// built here and encoded as Get does.
func TestDataTypes(t *testing.T) {
	device, _, err := datastore.Models()
	if err != nil {
		t.Fatal(err)
	}
	sc := device.Schema
	// Configuration and state live in two trees, as in the datastore;
	// reads see them overlaid.
	cfg, state := &oc.Device{}, &oc.Device{}
	c := cfg.GetOrCreateInterfaces().GetOrCreateInterface("eth0").GetOrCreateConfig()
	c.Mtu, c.Name = ygot.Uint16(9000), ygot.String("eth0")
	cfg.GetOrCreateInterfaces().GetOrCreateInterface("eth1").GetOrCreateConfig().Name = ygot.String("eth1")
	st := state.GetOrCreateInterfaces().GetOrCreateInterface("eth0").GetOrCreateState()
	st.Mtu = ygot.Uint16(9000)
	st.OperStatus = oc.OpenconfigInterfaces_Interfaces_Interface_State_OperStatus_UP
	st.GetOrCreateCounters().InOctets = ygot.Uint64(42)
	state.GetOrCreateInterfaces().GetOrCreateInterface("eth2").GetOrCreateState().Mtu = ygot.Uint16(1500)
	root := overlay(sc.Root, reflect.ValueOf(cfg), reflect.ValueOf(state)).Interface().(ygot.GoStruct)
	if got := len(root.(*oc.Device).GetInterfaces().Interface); got != 3 {
		t.Errorf("overlay has %d interfaces, want the 3 of both trees", got)
	}
	if cfg.GetInterfaces().GetInterface("eth0").GetState() != nil || state.GetInterfaces().GetInterface("eth0").GetConfig() != nil {
		t.Error("overlay changed its inputs")
	}

	for _, tc := range []struct {
		kind gpb.GetRequest_DataType
		want map[string]any // JSON of /interfaces/interface[name=eth0]
	}{
		{gpb.GetRequest_ALL, map[string]any{"name": "eth0", "config": map[string]any{"name": "eth0", "mtu": float64(9000)},
			"state": map[string]any{"mtu": float64(9000), "oper-status": "UP", "counters": map[string]any{"in-octets": float64(42)}}}},
		{gpb.GetRequest_CONFIG, map[string]any{"name": "eth0", "config": map[string]any{"name": "eth0", "mtu": float64(9000)}}},
		{gpb.GetRequest_STATE, map[string]any{"name": "eth0",
			"state": map[string]any{"mtu": float64(9000), "oper-status": "UP", "counters": map[string]any{"in-octets": float64(42)}}}},
		{gpb.GetRequest_OPERATIONAL, map[string]any{"name": "eth0",
			"state": map[string]any{"oper-status": "UP", "counters": map[string]any{"in-octets": float64(42)}}}},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			sel, err := newSelection(sc, tc.kind, nil)
			if err != nil {
				t.Fatal(err)
			}
			ups, err := getNodes(sc, root, path(t, "/interfaces/interface[name=eth0]").Elem, sel, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(ups) != 1 {
				t.Fatalf("%d updates, want 1", len(ups))
			}
			if diff := cmp.Diff(tc.want, jsonOf(t, ups[0].GetVal())); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			leaves, err := getLeaves(sc, root, path(t, "/interfaces").Elem, sel)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range leaves {
				f, err := leafField(sc, u.GetPath().GetElem())
				if err != nil {
					t.Fatal(err)
				}
				if !sel.keepLeaf(f) {
					t.Errorf("PROTO leaf %s is not %v data", tree.FormatPath(u.GetPath().GetElem()), tc.kind)
				}
			}
		})
	}
}

func TestRequestTimeout(t *testing.T) {
	f := newFixture(t, WithRequestTimeout(time.Nanosecond))
	_, err := f.c.Get(ctxT(t), &gpb.GetRequest{Path: []*gpb.Path{path(t, "/")}})
	wantCode(t, err, codes.DeadlineExceeded)
}

func TestMaxMessageSize(t *testing.T) {
	f := newFixture(t, WithMaxMessageSize(8192))
	f.addElement(t, "sim-0")
	for i := range 10 {
		var names []string
		for j := range 10 {
			names = append(names, fmt.Sprintf("eth%d/%d", i, j))
		}
		f.setIfaces(t, "sim-0", names...)
	}
	_, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Path: []*gpb.Path{path(t, "/")}})
	wantCode(t, err, codes.ResourceExhausted)
}
