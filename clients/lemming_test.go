package clients_test

import (
	"net"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	lemming "github.com/openconfig/lemming/gnmi"
	"google.golang.org/grpc"

	"github.com/nwmo/nwmo/clients"
)

// startLemming serves lemming's reference gNMI implementation (a third
// party's element, without confirmed commits or Get) on a loopback port.
func startLemming(t *testing.T, name string) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// lemming needs a target in Subscribe requests; its interceptor fills
	// in its own when the request has none, as nwmo's adapter sends.
	srv := grpc.NewServer(grpc.StreamInterceptor(lemming.NewSubscribeTargetUpdateInterceptor(name)))
	if _, err := lemming.New(srv, name, nil); err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// setLemming changes lemming's configuration directly, as a local
// operator would.
func setLemming(t *testing.T, addr string, req *gpb.SetRequest) {
	t.Helper()
	if _, err := dial(t, addr).Set(ctx(t), req); err != nil {
		t.Fatalf("Set on lemming: %v", err)
	}
}

// lemmingMTU is eth0's configured mtu on lemming, read with Subscribe
// ONCE (lemming has no Get).
func lemmingMTU(t *testing.T, addr string) uint64 {
	t.Helper()
	sc, err := dial(t, addr).Subscribe(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Prefix: &gpb.Path{Origin: "openconfig"}, Mode: gpb.SubscriptionList_ONCE,
		Subscription: []*gpb.Subscription{{Path: mustPath(t, "/interfaces/interface[name=eth0]/config/mtu")}},
	}}}); err != nil {
		t.Fatal(err)
	}
	var mtu uint64
	for {
		r, err := sc.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if r.GetSyncResponse() {
			return mtu
		}
		for _, u := range r.GetUpdate().GetUpdate() {
			mtu = u.GetVal().GetUintVal()
		}
	}
}

func mtuSet(t *testing.T, mtu uint64) *gpb.SetRequest {
	return &gpb.SetRequest{Update: []*gpb.Update{
		{Path: mustPath(t, "/interfaces/interface[name=eth0]/config/name"), Val: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: "eth0"}}},
		{Path: mustPath(t, "/interfaces/interface[name=eth0]/config/mtu"), Val: &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: mtu}}},
	}}
}

// TestLemming pushes to lemming, fails a network-wide commit over lemming
// and a rejecting sim (lemming must be compensated), and finds and
// reconciles drift on it.
func TestLemming(t *testing.T) {
	e := newEnv(t, envOpts{sims: 1})
	addr := startLemming(t, "lem")
	setLemming(t, addr, mtuSet(t, 1500))
	e.add(map[string]element{
		"lem":   {"address": addr},
		"sim-0": {"address": e.fleet.Element("sim-0").Addr()},
	})
	for _, n := range []string{"lem", "sim-0"} {
		e.waitStatus(n, "connected and in sync", func(s clients.Status) bool { return s.Connected && s.InSync })
	}
	if st, _ := e.m.Status("lem"); st.CommitConfirmed {
		t.Fatalf("lemming reported as having confirmed commits: %+v", st)
	}
	if got := e.runningMTU("lem"); got != 1500 {
		t.Fatalf("running mtu of lem after adoption = %d, want lemming's 1500", got)
	}

	if err := e.commit(9000, "lem", "sim-0"); err != nil {
		t.Fatal(err)
	}
	if got := lemmingMTU(t, addr); got != 9000 {
		t.Fatalf("lemming mtu after the commit = %d, want 9000", got)
	}

	e.fleet.Element("sim-0").RejectNext(1)
	err := e.commit(9100, "lem", "sim-0")
	checkElementError(t, err, "sim-0", faults[0])
	if got := lemmingMTU(t, addr); got != 9000 {
		t.Fatalf("lemming mtu after a failed commit = %d, want 9000 restored by compensation", got)
	}

	setLemming(t, addr, mtuSet(t, 1400))
	st := e.waitStatus("lem", "out of sync", func(s clients.Status) bool { return !s.InSync })
	if st.DriftCount != 1 {
		t.Errorf("drift-count = %d, want 1 (mtu)", st.DriftCount)
	}
	if err := e.m.Reconcile(ctx(t), "lem"); err != nil {
		t.Fatal(err)
	}
	if got := lemmingMTU(t, addr); got != 9000 {
		t.Errorf("lemming mtu after reconcile = %d, want 9000", got)
	}
	e.waitStatus("lem", "in sync", func(s clients.Status) bool { return s.InSync && s.DriftCount == 0 })
}
