package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
)

// updateState writes operational state of target as the southbound does.
func (f *fixture) updateState(t testing.TB, target string, ups map[string]*gpb.TypedValue, dels ...string) {
	t.Helper()
	n := &gpb.Notification{Prefix: &gpb.Path{Target: target}}
	for p, v := range ups {
		n.Update = append(n.Update, &gpb.Update{Path: path(t, p), Val: v})
	}
	for _, p := range dels {
		n.Delete = append(n.Delete, path(t, p))
	}
	if err := f.store.UpdateState(n); err != nil {
		t.Fatal(err)
	}
}

// TestState checks that reads see configuration and operational state
// together, as one tree, and that subscribers follow both.
func TestState(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/system/config/hostname"), Val: strVal("r1")}}})
	sc := f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/system/state"))
	sc.untilSync()
	f.updateState(t, "sim-0", map[string]*gpb.TypedValue{
		"/system/state/hostname":         strVal("r1"),
		"/system/state/current-datetime": strVal("2026-11-24T00:00:00Z"),
	})

	for _, tc := range []struct {
		kind gpb.GetRequest_DataType
		want map[string]any
	}{
		{gpb.GetRequest_ALL, map[string]any{"/system/config/hostname": "r1", "/system/state/hostname": "r1", "/system/state/current-datetime": "2026-11-24T00:00:00Z"}},
		{gpb.GetRequest_CONFIG, map[string]any{"/system/config/hostname": "r1"}},
		{gpb.GetRequest_STATE, map[string]any{"/system/state/hostname": "r1", "/system/state/current-datetime": "2026-11-24T00:00:00Z"}},
		{gpb.GetRequest_OPERATIONAL, map[string]any{"/system/state/current-datetime": "2026-11-24T00:00:00Z"}},
	} {
		resp, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Path: []*gpb.Path{path(t, "/system")}, Type: tc.kind, Encoding: gpb.Encoding_PROTO})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, leafMap(t, resp.Notification[0])); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.kind, diff)
		}
	}
	resp, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Path: []*gpb.Path{path(t, "/system")}, Encoding: gpb.Encoding_JSON})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"config": map[string]any{"hostname": "r1"}, "state": map[string]any{"hostname": "r1", "current-datetime": "2026-11-24T00:00:00Z"}}
	if diff := cmp.Diff(want, jsonOf(t, resp.Notification[0].Update[0].GetVal())); diff != "" {
		t.Errorf("one JSON value of both (-want +got):\n%s", diff)
	}

	got := leafEvents(t, sc.next().GetUpdate())
	if diff := cmp.Diff([]string{"/system/state/current-datetime=2026-11-24T00:00:00Z", "/system/state/hostname=r1"}, sorted(got)); diff != "" {
		t.Errorf("state update seen by a subscriber (-want +got):\n%s", diff)
	}
	if err := f.store.ClearState("sim-0"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"-/system/state/current-datetime", "-/system/state/hostname"}, sorted(leafEvents(t, sc.next().GetUpdate()))); diff != "" {
		t.Errorf("state cleared (-want +got):\n%s", diff)
	}

	t.Run("a candidate's view has no state", func(t *testing.T) {
		f.updateState(t, "sim-0", map[string]*gpb.TypedValue{"/system/state/hostname": strVal("r1")})
		_, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0@c1"}, Path: []*gpb.Path{path(t, "/system/state")}})
		wantCode(t, err, codes.NotFound)
	})
}
