package server

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// leaves reads every leaf under p of target as path -> value.
func (f *fixture) leaves(t testing.TB, target, p string) map[string]any {
	t.Helper()
	resp, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: target}, Path: []*gpb.Path{path(t, p)}, Encoding: gpb.Encoding_PROTO})
	if status.Code(err) == codes.NotFound {
		return map[string]any{}
	}
	if err != nil {
		t.Fatal(err)
	}
	return leafMap(t, resp.Notification[0])
}

func TestSetOrderAndResults(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0", "eth1")
	d := "/interfaces/interface[name=eth0]/config/description"

	req := &gpb.SetRequest{
		Prefix: &gpb.Path{Target: "sim-0"},
		// In the request: update, replace, union_replace, delete; applied:
		// delete, union_replace, replace, update.
		Update:       []*gpb.Update{{Path: path(t, d), Val: strVal("updated")}, {Path: path(t, d), Val: strVal("updated twice")}},
		Replace:      []*gpb.Update{{Path: path(t, d), Val: strVal("replaced")}},
		UnionReplace: []*gpb.Update{{Path: path(t, d), Val: strVal("union-replaced")}},
		Delete:       []*gpb.Path{path(t, d), path(t, "/interfaces/interface[name=eth9]")},
	}
	resp, err := f.c.Set(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	want := &gpb.SetResponse{
		Prefix: &gpb.Path{Target: "sim-0"},
		Response: []*gpb.UpdateResult{
			{Path: path(t, d), Op: gpb.UpdateResult_DELETE},
			{Path: path(t, "/interfaces/interface[name=eth9]"), Op: gpb.UpdateResult_DELETE},
			{Path: path(t, d), Op: gpb.UpdateResult_UNION_REPLACE},
			{Path: path(t, d), Op: gpb.UpdateResult_REPLACE},
			{Path: path(t, d), Op: gpb.UpdateResult_UPDATE},
			{Path: path(t, d), Op: gpb.UpdateResult_UPDATE},
		},
	}
	if resp.GetTimestamp() == 0 {
		t.Error("no timestamp")
	}
	resp.Timestamp = 0
	if diff := diffProto(want, resp); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if got := f.leaves(t, "sim-0", d)[d]; got != "updated twice" {
		t.Errorf("description = %v, want the last update's", got)
	}

	t.Run("several origins, one transaction", func(t *testing.T) {
		f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{
			{Path: &gpb.Path{Origin: "openconfig", Elem: path(t, d).Elem}, Val: strVal("with origin")},
			{Path: path(t, "/system/config/hostname"), Val: strVal("without")},
		}})
		got := f.leaves(t, "sim-0", "/")
		if got[d] != "with origin" || got["/system/config/hostname"] != "without" {
			t.Errorf("after a Set of two origins: %v", got)
		}
	})
	t.Run("empty SetRequest", func(t *testing.T) {
		resp, err := f.c.Set(ctxT(t), &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetResponse()) != 0 || resp.GetTimestamp() == 0 {
			t.Errorf("response %v: want no results and a timestamp", resp)
		}
	})
	t.Run("no target echoed when none is set", func(t *testing.T) {
		resp, err := f.c.Set(ctxT(t), &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/targets/target[name=sim-0]/config/description"), Val: strVal("lab")}}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetPrefix().GetTarget() != "" {
			t.Errorf("prefix %v: want no target", resp.GetPrefix())
		}
	})
}

func TestSetReplace(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0", "eth1")
	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=eth0]/config/enabled"), Val: &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: false}}}}})

	// Leaves not mentioned go away.
	f.set(t, "sim-0", &gpb.SetRequest{Replace: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=eth0]/config"), Val: jsonVal(t, map[string]any{"name": "eth0", "mtu": 9000})}}})
	want := map[string]any{
		"/interfaces/interface[name=eth0]/name":        "eth0",
		"/interfaces/interface[name=eth0]/config/name": "eth0",
		"/interfaces/interface[name=eth0]/config/mtu":  float64(9000),
	}
	if diff := cmp.Diff(want, f.leaves(t, "sim-0", "/interfaces/interface[name=eth0]")); diff != "" {
		t.Errorf("after replacing config (-want +got):\n%s", diff)
	}
	// A replaced list loses the entries not supplied.
	f.set(t, "sim-0", &gpb.SetRequest{Replace: []*gpb.Update{{Path: path(t, "/interfaces/interface"), Val: jsonVal(t, []any{map[string]any{"name": "eth1", "config": map[string]any{"name": "eth1"}}})}}})
	got := f.leaves(t, "sim-0", "/interfaces")
	if diff := cmp.Diff(map[string]any{"/interfaces/interface[name=eth1]/name": "eth1", "/interfaces/interface[name=eth1]/config/name": "eth1"}, got); diff != "" {
		t.Errorf("after replacing the list (-want +got):\n%s", diff)
	}
}

func TestSetErrors(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	mtu := "/interfaces/interface[name=eth0]/config/mtu"

	for _, tc := range []struct {
		name   string
		req    *gpb.SetRequest
		code   codes.Code
		msg    string // the message names this
		failed int    // index of the operation reported failing; -1 for all aborted
	}{
		{"unparsable path", &gpb.SetRequest{Update: []*gpb.Update{{Path: &gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: ""}}}, Val: uintVal(1)}}},
			codes.InvalidArgument, "empty name", 0},
		{"path not in the schema", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=eth0]/config/speed"), Val: uintVal(1)}}},
			codes.NotFound, "speed", 0},
		{"replace of a path not in the schema", &gpb.SetRequest{Replace: []*gpb.Update{{Path: path(t, "/bogus"), Val: jsonVal(t, map[string]any{})}}},
			codes.NotFound, "bogus", 0},
		{"wrong type", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: strVal("big")}}},
			codes.InvalidArgument, "big", 0},
		{"out of range", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(70000)}}},
			codes.InvalidArgument, "70000", 0},
		{"ASCII value", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: &gpb.TypedValue{Value: &gpb.TypedValue_AsciiVal{AsciiVal: "1500"}}}}},
			codes.Unimplemented, "ASCII", 0},
		{"PROTO_BYTES value", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: &gpb.TypedValue{Value: &gpb.TypedValue_ProtoBytes{ProtoBytes: []byte{1}}}}}},
			codes.Unimplemented, "PROTO_BYTES", 0},
		{"no value", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu)}}},
			codes.InvalidArgument, "no value", 0},
		{"replacing a leaf with nothing", &gpb.SetRequest{Replace: []*gpb.Update{{Path: path(t, mtu)}}},
			codes.InvalidArgument, "no value", 0},
		{"wildcard in an update", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=*]/config/mtu"), Val: uintVal(1500)}}},
			codes.InvalidArgument, "wildcard", 0},
		{"replacing an entry with {}", &gpb.SetRequest{Replace: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=eth0]"), Val: jsonRaw(`{}`)}}},
			codes.InvalidArgument, "eth0", 0},
		{"keys in path and value differ", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=eth0]"), Val: jsonRaw(`{"name":"eth1"}`)}}},
			codes.InvalidArgument, "eth1", 0},
		{"partial key set", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/network-instances/network-instance[name=default]/protocols/protocol[name=bgp]/config/name"), Val: strVal("bgp")}}},
			codes.InvalidArgument, "identifier", 0},
		{"state leaf", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=eth0]/state/mtu"), Val: uintVal(1500)}}},
			codes.InvalidArgument, "state", -1},
		{"the failing operation is named; the others are aborted", &gpb.SetRequest{
			Delete: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]/config/description")},
			Update: []*gpb.Update{{Path: path(t, "/system/config/hostname"), Val: strVal("r1")}, {Path: path(t, mtu), Val: strVal("big")}}},
			codes.InvalidArgument, "big", 2},
		{"unknown target", &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-9"}, Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(1500)}}},
			codes.NotFound, "nwmo, sim-0", -1},
		{"bad origin", &gpb.SetRequest{Update: []*gpb.Update{{Path: &gpb.Path{Origin: "cli", Elem: path(t, mtu).Elem}, Val: uintVal(1500)}}},
			codes.InvalidArgument, "cli", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.req.Prefix == nil {
				tc.req.Prefix = &gpb.Path{Target: "sim-0"}
			}
			before := f.leaves(t, "sim-0", "/")
			_, err := f.c.Set(ctxT(t), tc.req)
			wantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not name %q", err, tc.msg)
			}
			if diff := cmp.Diff(before, f.leaves(t, "sim-0", "/")); diff != "" {
				t.Errorf("a failed Set changed the configuration (-before +after):\n%s", diff)
			}
			st := status.Convert(err)
			var detail *gpb.SetResponse
			for _, d := range st.Details() {
				if r, ok := d.(*gpb.SetResponse); ok {
					detail = r
				}
			}
			if tc.failed < 0 && tc.code == codes.NotFound {
				return // refused before the operations were looked at
			}
			if detail == nil {
				t.Fatalf("status %v has no SetResponse detail", st)
			}
			for i, r := range detail.GetResponse() {
				want := uint32(codes.Aborted)
				if i == tc.failed {
					want = uint32(tc.code)
				}
				if got := r.GetMessage().GetCode(); got != want { //nolint:staticcheck // the spec's per-operation status
					t.Errorf("operation %d: code %v, want %v", i, codes.Code(got), codes.Code(want))
				}
			}
		})
	}
}

func TestSetDelete(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0", "eth1")

	// Deleting what does not exist succeeds.
	f.set(t, "sim-0", &gpb.SetRequest{Delete: []*gpb.Path{path(t, "/interfaces/interface[name=eth7]"), path(t, "/system")}})
	// Wildcard deletes are expanded, an omitted key included.
	f.set(t, "sim-0", &gpb.SetRequest{Delete: []*gpb.Path{path(t, "/interfaces/interface[name=*]/config/description")}})
	f.set(t, "sim-0", &gpb.SetRequest{Delete: []*gpb.Path{path(t, "/interfaces/interface/config/mtu")}})
	want := map[string]any{
		"/interfaces/interface[name=eth0]/name":        "eth0",
		"/interfaces/interface[name=eth0]/config/name": "eth0",
		"/interfaces/interface[name=eth1]/name":        "eth1",
		"/interfaces/interface[name=eth1]/config/name": "eth1",
	}
	if diff := cmp.Diff(want, f.leaves(t, "sim-0", "/")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSetCandidate(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	mtu := "/interfaces/interface[name=eth0]/config/mtu"
	resp := f.set(t, "sim-0@c1", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(9000)}}})
	if resp.GetPrefix().GetTarget() != "sim-0@c1" {
		t.Errorf("prefix %v, want target sim-0@c1 echoed", resp.GetPrefix())
	}
	if got := f.leaves(t, "sim-0", mtu)[mtu]; got != float64(1500) {
		t.Errorf("running mtu %v: a candidate edit reached running", got)
	}
	if got := f.leaves(t, "sim-0@c1", mtu)[mtu]; got != float64(9000) {
		t.Errorf("candidate mtu %v, want 9000", got)
	}
}
