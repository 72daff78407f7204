package clients_test

import (
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/clients"
	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/nwmomodel"
	"github.com/nwmo/nwmo/gen/oc"
)

func TestInitialSyncPolicies(t *testing.T) {
	e := newEnv(t, envOpts{sims: 3})
	addr := func(n string) string { return e.fleet.Element(n).Addr() }
	e.add(map[string]element{
		"sim-0": {"address": addr("sim-0"), "initial-sync": "report"},
		"sim-1": {"address": addr("sim-1"), "initial-sync": "push"},
		"sim-2": {"address": addr("sim-2"), "initial-sync": "adopt"},
	})

	// report: nothing changes anywhere; the difference is counted.
	st := e.waitStatus("sim-0", "connected and compared", func(s clients.Status) bool { return s.Connected && s.DriftCount > 0 })
	// hostname, and per interface its key, name, type and mtu; enabled is
	// true, its default, which counts as equal to absent.
	if st.InSync || st.DriftCount != 17 {
		t.Errorf("sim-0 (report) status %+v, want out of sync by 17 leaves", st)
	}
	if got := elementMTU(t, addr("sim-0")); got != 1500 {
		t.Errorf("sim-0 (report) was changed: mtu %d", got)
	}

	// push: running (empty) replaces what the element has.
	e.waitStatus("sim-1", "connected and in sync", func(s clients.Status) bool { return s.Connected && s.InSync })
	_, err := dial(t, addr("sim-1")).Get(ctx(t), &gpb.GetRequest{Path: []*gpb.Path{mustPath(t, "/interfaces")}, Type: gpb.GetRequest_CONFIG})
	if status.Code(err) != codes.NotFound {
		t.Errorf("sim-1 (push) Get /interfaces: %v, want NotFound: running (empty) pushed", err)
	}

	// adopt: the element's configuration becomes running.
	e.waitStatus("sim-2", "connected and in sync", func(s clients.Status) bool { return s.Connected && s.InSync })
	if got := e.runningMTU("sim-2"); got != 1500 {
		t.Errorf("sim-2 (adopt) running mtu = %d, want the element's 1500", got)
	}
	var user string
	for _, h := range e.store.History(datastore.HistoryFilter{Target: "sim-2"}) {
		user = h.User
	}
	if user != clients.AdoptUser {
		t.Errorf("adopting commit made by %q, want %q", user, clients.AdoptUser)
	}
}

func TestInventoryChanges(t *testing.T) {
	e := newEnv(t, envOpts{sims: 1})
	sim0 := e.fleet.Element("sim-0")
	e.add(map[string]element{"sim-0": {"address": sim0.Addr(), "adapter": "none"}})
	waitFor(t, "sim-0 in the inventory", func() bool { _, ok := e.m.Status("sim-0"); return ok })
	if e.m.Manages("sim-0") {
		t.Fatal("an element with adapter none is managed")
	}
	if _, err := e.store.Set(ctx(t), datastore.Request{Target: "sim-0", User: "test", Ops: []tree.Op{mtuOp(t, 9000)}}); err != nil {
		t.Fatalf("commit on a provisioned-only element: %v", err)
	}
	if got := elementMTU(t, sim0.Addr()); got != 1500 {
		t.Errorf("provisioned-only element was pushed to: mtu %d", got)
	}

	// Managing it now pushes running (initial-sync adopt, running not
	// empty).
	e.add(map[string]element{"sim-0": {"adapter": "gnmi"}})
	e.waitStatus("sim-0", "connected and in sync", func(s clients.Status) bool { return s.Connected && s.InSync })
	if got := elementMTU(t, sim0.Addr()); got != 9000 {
		t.Errorf("mtu after managing the element = %d, want running's 9000", got)
	}

	if _, err := e.store.Set(ctx(t), datastore.Request{Target: datastore.ServerTarget, User: "test",
		Ops: []tree.Op{{Kind: tree.Delete, Path: mustPath(t, "/targets/target[name=sim-0]").GetElem()}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "sim-0 gone from the southbound", func() bool { _, ok := e.m.Status("sim-0"); return !ok })
}

// TestStatePublished checks what gNMI clients see: each element's
// connection state on target nwmo, and the element's own state on its
// target.
func TestStatePublished(t *testing.T) {
	e := newEnv(t, envOpts{sims: 1})
	e.addSims(nil)
	waitFor(t, "nwmo's state of sim-0 to say connected and in sync", func() bool {
		var ok bool
		_ = e.store.ViewState(datastore.ServerTarget, func(root ygot.GoStruct, _ *tree.Schema) error {
			st := root.(*nwmomodel.Root).GetTargets().GetTarget("sim-0").GetState()
			ok = st.GetConnected() && st.GetInSync() && st.GetCommitConfirmedSupported() && st.GetAddress() != ""
			return nil
		})
		return ok
	})
	if err := e.commit(9000, "sim-0"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "sim-0's state/mtu to follow the commit", func() bool {
		var mtu uint16
		var oper oc.E_OpenconfigInterfaces_Interfaces_Interface_State_OperStatus
		_ = e.store.ViewState("sim-0", func(root ygot.GoStruct, _ *tree.Schema) error {
			st := root.(*oc.Device).GetInterfaces().GetInterface("eth0").GetState()
			mtu, oper = st.GetMtu(), st.GetOperStatus()
			return nil
		})
		return mtu == 9000 && oper == oc.OpenconfigInterfaces_Interfaces_Interface_State_OperStatus_UP
	})

	e.fleet.Element("sim-0").Down()
	waitFor(t, "sim-0's state to be cleared once it is disconnected", func() bool {
		var empty bool
		_ = e.store.ViewState("sim-0", func(root ygot.GoStruct, _ *tree.Schema) error {
			empty = root.(*oc.Device).GetInterfaces() == nil
			return nil
		})
		return empty
	})
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
