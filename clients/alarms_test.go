package clients_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/clients"
	"github.com/nwmo/nwmo/clients/gnmi"
	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/nwmomodel"
)

type alarmState = nwmomodel.Nwmo_Alarms_Alarm_State

// alarms returns nwmo's active alarms, as its state tree holds them, by id.
func (e *env) alarms() map[string]*alarmState {
	e.t.Helper()
	out := map[string]*alarmState{}
	err := e.store.ViewState(datastore.ServerTarget, func(root ygot.GoStruct, _ *tree.Schema) error {
		if al := root.(*nwmomodel.Root).Alarms; al != nil {
			for id, a := range al.Alarm {
				st := *a.GetState()
				out[id] = &st
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// waitAlarm waits until alarm id (nil when it is not raised) satisfies ok,
// and returns it.
func (e *env) waitAlarm(id, what string, ok func(*alarmState) bool) *alarmState {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		a := e.alarms()[id]
		if ok(a) {
			return a
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("alarm %s not %s: %+v", id, what, a)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func raised(a *alarmState) bool  { return a != nil }
func cleared(a *alarmState) bool { return a == nil }

// noAlarmFor fails t if any alarm is about element name.
func (e *env) noAlarmFor(name string) {
	e.t.Helper()
	for id, a := range e.alarms() {
		if a.GetResource() == name {
			e.t.Errorf("alarm %s raised for %s: %q", id, name, a.GetText())
		}
	}
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func (e *env) removeElement(name string) {
	e.t.Helper()
	if _, err := e.store.Set(ctx(e.t), datastore.Request{Target: datastore.ServerTarget, User: "test",
		Ops: []tree.Op{{Kind: tree.Delete, Path: mustPath(e.t, "/targets/target[name="+name+"]").GetElem()}}}); err != nil {
		e.t.Fatal(err)
	}
}

// TestUnreachableAlarm raises ELEMENT_UNREACHABLE for an element whose
// address has nothing listening, rewords it when the address changes
// (keeping when it was raised), clears it when the element connects,
// raises it again when the connection drops, and clears it when the
// adapter becomes none and when the element leaves the inventory.
func TestUnreachableAlarm(t *testing.T) {
	e := newEnv(t, envOpts{sims: 1})
	sim0 := e.fleet.Element("sim-0")
	const id = "ELEMENT_UNREACHABLE/r1"
	states := e.store.WatchState()
	dead := deadAddr(t)
	e.add(map[string]element{"r1": {"address": dead, "timeout": "1000"}})

	a := e.waitAlarm(id, "raised", raised)
	if a.GetId() != id || a.GetTypeId() != clients.UnreachableAlarm || a.GetResource() != "r1" ||
		a.GetSeverity() != nwmomodel.Nwmo_AlarmSeverity_major || a.GetTimeCreated() == 0 {
		t.Errorf("alarm %+v, want id %s, type %s, resource r1, severity major, a creation time", a, id, clients.UnreachableAlarm)
	}
	st, _ := e.m.Status("r1")
	for _, want := range []string{"r1", dead, "connection refused"} {
		if !strings.Contains(a.GetText(), want) {
			t.Errorf("alarm text %q does not name %q (last error %q)", a.GetText(), want, st.LastError)
		}
	}
	// The alarm came in the notification that told of the failure.
	if !sameStateEvent(t, states, "/alarms/alarm[id="+id+"]/state/id", "/targets/target[name=r1]/state/last-error") {
		t.Error("the alarm was not published with the element's last-error")
	}
	// Never connected, never compared: not out of sync.
	if _, ok := e.alarms()["ELEMENT_OUT_OF_SYNC/r1"]; ok {
		t.Error("ELEMENT_OUT_OF_SYNC raised for an element never compared")
	}

	// Another dead address: new text, same alarm.
	dead2 := deadAddr(t)
	e.add(map[string]element{"r1": {"address": dead2}})
	b := e.waitAlarm(id, "reworded", func(a *alarmState) bool { return a != nil && strings.Contains(a.GetText(), dead2) })
	if b.GetTimeCreated() != a.GetTimeCreated() {
		t.Errorf("time-created %d after the text changed, want it kept: %d", b.GetTimeCreated(), a.GetTimeCreated())
	}

	e.add(map[string]element{"r1": {"address": sim0.Addr()}})
	e.waitAlarm(id, "cleared once r1 connects", cleared)
	e.waitStatus("r1", "connected and in sync", func(s clients.Status) bool { return s.Connected && s.InSync })
	e.noAlarmFor("r1")

	// A connection that drops with an error raises it again, anew.
	sim0.Down()
	c := e.waitAlarm(id, "raised when the connection drops", raised)
	if c.GetTimeCreated() <= a.GetTimeCreated() {
		t.Errorf("time-created %d of the alarm raised again, want later than the first's %d", c.GetTimeCreated(), a.GetTimeCreated())
	}
	if _, ok := e.alarms()["ELEMENT_OUT_OF_SYNC/r1"]; ok {
		t.Error("ELEMENT_OUT_OF_SYNC raised for a disconnected element")
	}

	e.add(map[string]element{"r1": {"adapter": "none"}})
	e.waitAlarm(id, "cleared when the adapter becomes none", cleared)
	time.Sleep(300 * time.Millisecond) // several connection attempts' worth
	e.noAlarmFor("r1")

	e.add(map[string]element{"r1": {"adapter": "gnmi"}})
	e.waitAlarm(id, "raised when managed again", raised)
	e.removeElement("r1")
	e.waitAlarm(id, "cleared when removed from the inventory", cleared)
	waitFor(t, "r1's state entry to go", func() bool {
		var gone bool
		_ = e.store.ViewState(datastore.ServerTarget, func(root ygot.GoStruct, _ *tree.Schema) error {
			gone = root.(*nwmomodel.Root).GetTargets().GetTarget("r1") == nil
			return nil
		})
		return gone
	})
	e.noAlarmFor("r1")
}

// sameStateEvent reports whether one event of the state feed updates both
// paths of target nwmo.
func sameStateEvent(t *testing.T, w *datastore.Watcher, a, b string) bool {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		ev, err := w.Next(c)
		if err != nil {
			t.Logf("state feed: %v", err)
			return false
		}
		for _, tc := range ev.Changes {
			if tc.Target != datastore.ServerTarget {
				continue
			}
			seen := map[string]bool{}
			for _, u := range tc.New.GetUpdate() {
				seen[tree.FormatPath(u.GetPath().GetElem())] = true
			}
			if seen[a] {
				return seen[b]
			}
		}
	}
}

// heldConfig is an element whose configuration cannot be read until
// release is closed: it stays connected and not compared.
type heldConfig struct {
	clients.Adapter
	release chan struct{}
}

func (h heldConfig) Config(ctx context.Context, paths ...[]*gpb.PathElem) ([]*gpb.Notification, error) {
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.Adapter.Config(ctx, paths...)
}

// TestOutOfSyncAlarm: an element connected but not compared yet raises
// nothing; drift raises ELEMENT_OUT_OF_SYNC, reworded (keeping when it was
// raised) as the drift grows and when running cannot be pushed, and
// cleared when the element is back in sync and when it leaves the
// inventory.
func TestOutOfSyncAlarm(t *testing.T) {
	release := make(chan struct{})
	dial := gnmi.Dialer()
	e := newEnv(t, envOpts{sims: 1, mgrOpts: []clients.Option{
		clients.WithAdapter("gnmi", func(ctx context.Context, t clients.Target) (clients.Adapter, error) {
			a, err := dial(ctx, t)
			if err != nil {
				return nil, err
			}
			return heldConfig{Adapter: a, release: release}, nil
		}),
	}})
	sim0 := e.fleet.Element("sim-0")
	const id = "ELEMENT_OUT_OF_SYNC/sim-0"
	e.add(map[string]element{"sim-0": {"address": sim0.Addr()}})
	e.waitStatus("sim-0", "connected", func(s clients.Status) bool { return s.Connected })
	time.Sleep(200 * time.Millisecond)
	if st, _ := e.m.Status("sim-0"); st.InSync {
		t.Fatalf("sim-0 compared while its configuration is held: %+v", st)
	}
	e.noAlarmFor("sim-0")
	close(release)
	e.waitStatus("sim-0", "in sync once adopted", func(s clients.Status) bool { return s.InSync })
	e.noAlarmFor("sim-0")

	if err := sim0.Configure(mtuOp(t, 1400), descriptionOp(t, "changed at the console")); err != nil {
		t.Fatal(err)
	}
	a := e.waitAlarm(id, "raised by drift", func(a *alarmState) bool { return a != nil && strings.Contains(a.GetText(), "in 2 paths") })
	if a.GetId() != id || a.GetTypeId() != clients.OutOfSyncAlarm || a.GetResource() != "sim-0" ||
		a.GetSeverity() != nwmomodel.Nwmo_AlarmSeverity_minor || a.GetTimeCreated() == 0 || !strings.Contains(a.GetText(), "sim-0") {
		t.Errorf("alarm %+v, want id %s, type %s, resource sim-0, severity minor, a creation time, a text naming sim-0", a, id, clients.OutOfSyncAlarm)
	}
	if err := sim0.Configure(leafOp(t, "/system/config/hostname", "renamed")); err != nil {
		t.Fatal(err)
	}
	b := e.waitAlarm(id, "reworded as the drift grows", func(a *alarmState) bool { return a != nil && strings.Contains(a.GetText(), "in 3 paths") })
	if b.GetTimeCreated() != a.GetTimeCreated() {
		t.Errorf("time-created %d after the text changed, want it kept: %d", b.GetTimeCreated(), a.GetTimeCreated())
	}

	// Pushing running fails: the alarm says why.
	sim0.RejectNext(-1)
	if err := e.m.Reconcile(ctx(t), "sim-0"); err == nil {
		t.Fatal("Reconcile succeeded on an element that refuses every Set")
	}
	b = e.waitAlarm(id, "reworded when the push fails", func(a *alarmState) bool {
		return a != nil && strings.Contains(a.GetText(), "pushing running failed") && strings.Contains(a.GetText(), "push running")
	})
	if b.GetTimeCreated() != a.GetTimeCreated() {
		t.Errorf("time-created %d after the push failed, want it kept: %d", b.GetTimeCreated(), a.GetTimeCreated())
	}
	sim0.RejectNext(0)
	if err := e.m.Reconcile(ctx(t), "sim-0"); err != nil {
		t.Fatal(err)
	}
	e.waitAlarm(id, "cleared once running is pushed", cleared)

	if err := sim0.Configure(mtuOp(t, 1400)); err != nil {
		t.Fatal(err)
	}
	e.waitAlarm(id, "raised by drift again", raised)
	e.removeElement("sim-0")
	e.waitAlarm(id, "cleared when removed from the inventory", cleared)
}

// canceledConfig is an element whose configuration is not read until ctx
// ends, and which then answers as a gRPC element does: status Canceled.
type canceledConfig struct{ clients.Adapter }

func (c canceledConfig) Config(ctx context.Context, _ ...[]*gpb.PathElem) ([]*gpb.Notification, error) {
	<-ctx.Done()
	return nil, status.FromContextError(ctx.Err()).Err()
}

// TestStoppedMidSyncNoAlarm: an element stopped while it synchronises (its
// address changes) is not reported unreachable for the Canceled its call
// then returns: nothing failed.
func TestStoppedMidSyncNoAlarm(t *testing.T) {
	dial := gnmi.Dialer()
	e := newEnv(t, envOpts{sims: 2, mgrOpts: []clients.Option{
		clients.WithAdapter("gnmi", func(ctx context.Context, t clients.Target) (clients.Adapter, error) {
			a, err := dial(ctx, t)
			if err != nil {
				return nil, err
			}
			return canceledConfig{a}, nil
		}),
	}})
	states := e.store.WatchState()
	e.add(map[string]element{"r1": {"address": e.fleet.Element("sim-0").Addr()}})
	first := e.waitStatus("r1", "connected", func(s clients.Status) bool { return s.Connected }).LastChange
	e.add(map[string]element{"r1": {"address": e.fleet.Element("sim-1").Addr()}})
	e.waitStatus("r1", "connected to sim-1", func(s clients.Status) bool { return s.Connected && s.LastChange.After(first) })
	e.add(map[string]element{"r1": {"adapter": "none"}})
	e.waitStatus("r1", "disconnected", func(s clients.Status) bool { return !s.Connected })
	// Everything published so far: no event raised the alarm.
	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	for {
		ev, err := states.Next(c)
		if err != nil {
			break
		}
		for _, tc := range ev.Changes {
			for _, u := range tc.New.GetUpdate() {
				if p := tree.FormatPath(u.GetPath().GetElem()); strings.Contains(p, clients.UnreachableAlarm) {
					t.Fatalf("%s published for an element stopped on purpose", p)
				}
			}
		}
	}
	if st, _ := e.m.Status("r1"); st.LastError != "" {
		t.Errorf("last-error %q for an element stopped on purpose", st.LastError)
	}
}
