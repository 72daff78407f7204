package clients_test

import (
	"context"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/clients"
	"github.com/nwmo/nwmo/clients/gnmi"
	"github.com/nwmo/nwmo/datastore/tree"
)

func descriptionOp(t *testing.T, s string) tree.Op {
	return tree.Op{Kind: tree.Update, Path: mustPath(t, "/interfaces/interface[name=eth0]/config/description").GetElem(),
		Value: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: s}}}
}

func hasDescription(t *testing.T, addr string) bool {
	t.Helper()
	_, err := dial(t, addr).Get(ctx(t), &gpb.GetRequest{Path: []*gpb.Path{mustPath(t, "/interfaces/interface[name=eth0]/config/description")}})
	switch status.Code(err) {
	case codes.OK:
		return true
	case codes.NotFound:
		return false
	}
	t.Fatal(err)
	return false
}

func TestDriftReportedAndReconciled(t *testing.T) {
	e := newEnv(t, envOpts{sims: 2})
	e.addSims(nil)
	sim0 := e.fleet.Element("sim-0")
	if err := sim0.Configure(mtuOp(t, 1400), descriptionOp(t, "changed at the console")); err != nil {
		t.Fatal(err)
	}
	st := e.waitStatus("sim-0", "out of sync", func(s clients.Status) bool { return !s.InSync })
	if st.DriftCount != 2 {
		t.Errorf("drift-count = %d, want 2 (mtu and description)", st.DriftCount)
	}
	// Reported only: the element keeps its change.
	time.Sleep(300 * time.Millisecond)
	if got := elementMTU(t, sim0.Addr()); got != 1400 {
		t.Fatalf("element repaired without being asked: mtu %d", got)
	}
	if err := e.m.Reconcile(ctx(t), "sim-0"); err != nil {
		t.Fatal(err)
	}
	if got := elementMTU(t, sim0.Addr()); got != 1500 {
		t.Errorf("mtu after reconcile = %d, want running's 1500", got)
	}
	if hasDescription(t, sim0.Addr()) {
		t.Error("description, which running lacks, is still on the element after reconcile")
	}
	if st, err := e.m.Check(ctx(t), "sim-0"); err != nil || !st.InSync || st.DriftCount != 0 {
		t.Errorf("Check after reconcile: %+v, %v; want in sync", st, err)
	}

	// With drift=repair, nwmo puts running back by itself.
	e.add(map[string]element{"sim-1": {"drift": "repair"}})
	sim1 := e.fleet.Element("sim-1")
	time.Sleep(100 * time.Millisecond)
	if err := sim1.Configure(mtuOp(t, 1400)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for elementMTU(t, sim1.Addr()) != 1500 {
		if time.Now().After(deadline) {
			t.Fatal("drift on sim-1 (drift=repair) not repaired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.waitStatus("sim-1", "in sync", func(s clients.Status) bool { return s.InSync })
}

// noStream is an element that cannot stream its changes: drift is found
// by comparing now and then.
type noStream struct{ clients.Adapter }

func (noStream) Subscribe(context.Context, func(*gpb.Notification)) error {
	return clients.ErrUnsupported
}

func TestDriftFoundByPeriodicCompare(t *testing.T) {
	dial := gnmi.Dialer()
	e := newEnv(t, envOpts{sims: 1, mgrOpts: []clients.Option{
		clients.WithAdapter("gnmi", func(ctx context.Context, t clients.Target) (clients.Adapter, error) {
			a, err := dial(ctx, t)
			if err != nil {
				return nil, err
			}
			return noStream{a}, nil
		}),
		clients.WithDriftInterval(100 * time.Millisecond),
	}})
	e.addSims(nil)
	if err := e.fleet.Element("sim-0").Configure(mtuOp(t, 1400)); err != nil {
		t.Fatal(err)
	}
	st := e.waitStatus("sim-0", "out of sync", func(s clients.Status) bool { return !s.InSync })
	if st.DriftCount != 1 {
		t.Errorf("drift-count = %d, want 1", st.DriftCount)
	}
}
