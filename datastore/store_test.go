package datastore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/nwmomodel"
)

func TestSetAndView(t *testing.T) {
	s := newStore(t)
	addElements(t, s, "sim-0")
	res := mustSet(t, s, "sim-0",
		update(t, "/interfaces/interface[name=eth0]/config", jsonVal(`{"name":"eth0","mtu":1500,"type":"iana-if-type:ethernetCsmacd"}`)))
	if res.ID == 0 || res.Time == 0 {
		t.Errorf("Set result = %+v, want an id and a time", res)
	}
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 1500 {
		t.Errorf("mtu = %d, want 1500", got)
	}
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(9000)))
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 9000 {
		t.Errorf("mtu after leaf update = %d, want 9000", got)
	}
	if got, want := s.Targets(), []string{"nwmo", "sim-0"}; !cmp.Equal(got, want) {
		t.Errorf("Targets() = %v, want %v", got, want)
	}
}

func TestSetErrors(t *testing.T) {
	s := newStore(t)
	addElements(t, s, "sim-0")
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config", jsonVal(`{"name":"eth0","mtu":1500}`)))

	tests := []struct {
		name   string
		target string
		ops    []tree.Op
		want   error
		substr []string
	}{
		{name: "unknown target", target: "sim-9", ops: []tree.Op{update(t, "/system/config/hostname", strVal("x"))},
			want: ErrNotFound, substr: []string{"sim-9", "nwmo, sim-0"}},
		{name: "unknown path", target: "sim-0", ops: []tree.Op{update(t, "/interfaces/interface[name=eth0]/config/mtuu", uintVal(1))},
			want: ErrUnknownPath, substr: []string{"mtuu"}},
		{name: "value out of type", target: "sim-0", ops: []tree.Op{update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(70000))},
			want: ErrInvalid, substr: []string{"mtu", "70000"}},
		{name: "bad address", target: "sim-0", ops: []tree.Op{update(t,
			"/interfaces/interface[name=eth0]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.300]/config",
			jsonVal(`{"ip":"10.0.0.300","prefix-length":24}`))},
			want: ErrInvalid, substr: []string{"10.0.0.300"}},
		{name: "state leaf", target: "sim-0", ops: []tree.Op{update(t, "/interfaces/interface[name=eth0]/state/mtu", uintVal(1))},
			want: ErrInvalid, substr: []string{"state/mtu", "config false"}},
		{name: "dangling leafref", target: "sim-0", ops: []tree.Op{update(t,
			"/network-instances/network-instance[name=DEFAULT]/interfaces/interface[id=eth9]/config",
			jsonVal(`{"id":"eth9","interface":"eth9"}`))},
			want: ErrInvalid, substr: []string{"eth9"}},
		{name: "key in path differs from value", target: "sim-0", ops: []tree.Op{update(t, "/interfaces/interface[name=eth0]",
			jsonVal(`{"name":"eth1"}`))},
			want: ErrInvalid, substr: []string{"eth0", "eth1"}},
		{name: "missing key", target: "sim-0", ops: []tree.Op{update(t, "/interfaces/interface/config/mtu", uintVal(1))},
			want: ErrInvalid, substr: []string{"interface"}},
		{name: "one good one bad", target: "sim-0", ops: []tree.Op{
			update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(1400)),
			update(t, "/interfaces/interface[name=eth0]/config/mtu", strVal("many"))},
			want: ErrInvalid, substr: []string{"many"}},
		{name: "replace entry with nothing", target: "sim-0", ops: []tree.Op{replace(t, "/interfaces/interface[name=eth0]", jsonVal(`{}`))},
			want: ErrInvalid, substr: []string{"eth0"}},
		{name: "bad inventory address", target: "nwmo", ops: []tree.Op{update(t, "/targets/target[name=x]/config",
			jsonVal(`{"name":"x","address":"nohost"}`))},
			want: ErrInvalid, substr: []string{"nohost"}},
	}
	before := s.LastID()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Set(context.Background(), Request{Target: tt.target, Ops: tt.ops})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Set() error = %v, want %v", err, tt.want)
			}
			for _, sub := range tt.substr {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q does not name %q", err, sub)
				}
			}
		})
	}
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 1500 {
		t.Errorf("mtu = %d after rejected Sets, want 1500 unchanged", got)
	}
	if s.LastID() != before {
		t.Errorf("rejected Sets made commits %d..%d", before+1, s.LastID())
	}
}

func TestReplaceAndDelete(t *testing.T) {
	s := newStore(t)
	addElements(t, s, "sim-0")
	mustSet(t, s, "sim-0", update(t, "/interfaces", jsonVal(interfacesJSON(3, 1500))))

	// Replace drops what the new value does not mention.
	mustSet(t, s, "sim-0", replace(t, "/interfaces/interface[name=eth1]/config", jsonVal(`{"name":"eth1","mtu":9000}`)))
	d := device(t, s, "sim-0")
	if c := d.GetInterfaces().GetInterface("eth1").GetConfig(); c.GetMtu() != 9000 || c.Description != nil {
		t.Errorf("after replace: mtu=%d description=%v, want 9000 and none", c.GetMtu(), c.Description)
	}
	// Deleting what does not exist succeeds.
	mustSet(t, s, "sim-0", del(t, "/interfaces/interface[name=eth7]"))
	// Wildcard delete.
	mustSet(t, s, "sim-0", del(t, "/interfaces/interface[name=*]/config/description"))
	d = device(t, s, "sim-0")
	for _, n := range []string{"eth0", "eth2"} {
		if c := d.GetInterfaces().GetInterface(n).GetConfig(); c.Description != nil || c.GetMtu() != 1500 {
			t.Errorf("%s after wildcard delete: %+v", n, c)
		}
	}
	mustSet(t, s, "sim-0", del(t, "/interfaces/interface[name=eth0]"))
	if d := device(t, s, "sim-0"); d.GetInterfaces().GetInterface("eth0") != nil || len(d.GetInterfaces().Interface) != 2 {
		t.Errorf("eth0 still there after delete")
	}
	// Replacing the root replaces everything.
	mustSet(t, s, "sim-0", replace(t, "/", jsonVal(`{"openconfig-system:system":{"config":{"hostname":"r1"}}}`)))
	if d := device(t, s, "sim-0"); d.Interfaces != nil && len(d.Interfaces.Interface) > 0 || d.GetSystem().GetConfig().GetHostname() != "r1" {
		t.Errorf("after root replace: interfaces %v, hostname %q", d.Interfaces, d.GetSystem().GetConfig().GetHostname())
	}
}

func TestDurableAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	addElements(t, s, "sim-0", "sim-1")
	mustSet(t, s, "sim-0", update(t, "/interfaces", jsonVal(interfacesJSON(10, 1500))))
	last := mustSet(t, s, "sim-1", update(t, "/system/config/hostname", strVal("r1")))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	defer s.Close()
	if got := mtu(device(t, s, "sim-0"), "eth9"); got != 1500 {
		t.Errorf("after restart: eth9 mtu = %d, want 1500", got)
	}
	if got := device(t, s, "sim-1").GetSystem().GetConfig().GetHostname(); got != "r1" {
		t.Errorf("after restart: hostname %q, want r1", got)
	}
	if s.LastID() != last.ID {
		t.Errorf("LastID() = %d after restart, want %d", s.LastID(), last.ID)
	}
	if got := len(s.History(HistoryFilter{})); got != 3 {
		t.Errorf("history has %d commits, want 3", got)
	}
	next := mustSet(t, s, "sim-1", update(t, "/system/config/hostname", strVal("r2")))
	if next.ID != last.ID+1 {
		t.Errorf("next id = %d, want %d", next.ID, last.ID+1)
	}
}

// TestRecoveryWithoutSnapshots replays the whole log: the process is not
// closed cleanly, so no snapshot was taken at close.
func TestRecoveryReplaysLog(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, func(o Options) Options { return o.WithSnapshotEvery(25) })
	addElements(t, s, "sim-0")
	for i := 0; i < 40; i++ {
		mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config", jsonVal(`{"name":"eth0","mtu":`+strconv.Itoa(1000+i)+`}`)))
	}
	mustSet(t, s, "sim-0", del(t, "/interfaces/interface[name=eth0]/config/mtu"))
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth1]/config/mtu", uintVal(1234)))
	crash(s) // after the background snapshot, which it waits for

	s = openStore(t, dir)
	defer s.Close()
	d := device(t, s, "sim-0")
	if got := d.GetInterfaces().GetInterface("eth0").GetConfig().Mtu; got != nil {
		t.Errorf("eth0 mtu = %d after replay, want deleted", *got)
	}
	if got := mtu(d, "eth1"); got != 1234 {
		t.Errorf("eth1 mtu = %d after replay, want 1234", got)
	}
}

// TestLargeCommit commits a change far larger than a Badger transaction
// may hold (30,000 interfaces, some 12 MB of change) and checks that it
// is one commit, durable, and recovered whole.
func TestLargeCommit(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	addElements(t, s, "sim-0")
	res := mustSet(t, s, "sim-0", replace(t, "/interfaces", jsonVal(interfacesJSON(30_000, 1500))))
	h, _, err := s.Commit(res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if h.Chunks <= chunksPerTxn {
		t.Fatalf("commit took %d chunks; the test needs more than %d to span Badger transactions", h.Chunks, chunksPerTxn)
	}
	crash(s)

	s = openStore(t, dir, func(o Options) Options { return o.WithSnapshotEvery(1 << 30) })
	defer s.Close()
	d := device(t, s, "sim-0")
	if n := len(d.GetInterfaces().Interface); n != 30_000 {
		t.Errorf("recovered %d interfaces, want 30000", n)
	}
	if got := mtu(d, "eth29999"); got != 1500 {
		t.Errorf("eth29999 mtu = %d, want 1500", got)
	}
}

func TestState(t *testing.T) {
	s := newStore(t)
	addElements(t, s, "sim-0")
	w := s.WatchState()
	n := &gpb.Notification{Prefix: &gpb.Path{Target: "nwmo"}, Update: []*gpb.Update{
		{Path: &gpb.Path{Elem: path(t, "/targets/target[name=sim-0]/state/connected")}, Val: &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: true}}},
	}}
	if err := s.UpdateState(n); err != nil {
		t.Fatalf("UpdateState: %v", err)
	}
	err := s.ViewState("nwmo", func(root ygot.GoStruct, _ *tree.Schema) error {
		if got := root.(*nwmomodel.Root).GetTargets().GetTarget("sim-0").GetState().GetConnected(); !got {
			t.Errorf("state connected = %v, want true", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if e, err := w.Next(ctx); err != nil || len(e.Changes) != 1 || e.Changes[0].Target != "nwmo" {
		t.Errorf("state feed: %+v, %v", e, err)
	}
	bad := &gpb.Notification{Prefix: &gpb.Path{Target: "sim-0"}, Update: []*gpb.Update{
		{Path: &gpb.Path{Elem: path(t, "/system/config/hostname")}, Val: strVal("x")},
	}}
	if err := s.UpdateState(bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("UpdateState of a config leaf: %v, want ErrInvalid", err)
	}
}

func TestRemovePolicy(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	addElements(t, s, "keep-me", "drop-me")
	mustSet(t, s, ServerTarget, update(t, "/targets/target[name=drop-me]/config/on-remove", strVal("delete")))
	for _, e := range []string{"keep-me", "drop-me"} {
		mustSet(t, s, e, update(t, "/system/config/hostname", strVal(e)))
	}
	mustSet(t, s, ServerTarget, del(t, "/targets/target[name=keep-me]"), del(t, "/targets/target[name=drop-me]"))
	if got := s.Targets(); len(got) != 1 {
		t.Fatalf("Targets() = %v after removing both", got)
	}
	hs := s.History(HistoryFilter{Target: "drop-me"})
	if last := hs[len(hs)-1]; last.User != "test" || !strings.Contains(last.Message, "on-remove delete") {
		t.Errorf("last commit on drop-me = %+v, want the deletion", last)
	}
	if len(s.History(HistoryFilter{Target: "keep-me"})) != 1 {
		t.Errorf("keep-me's configuration was touched")
	}
	// Added back, each comes with what was kept, survives a restart too.
	s.Close()
	s = openStore(t, dir)
	defer s.Close()
	addElements(t, s, "keep-me", "drop-me")
	if got := device(t, s, "keep-me").GetSystem().GetConfig().GetHostname(); got != "keep-me" {
		t.Errorf("keep-me hostname = %q, want it kept", got)
	}
	if got := device(t, s, "drop-me").GetSystem().GetConfig().GetHostname(); got != "" {
		t.Errorf("drop-me hostname = %q, want it deleted", got)
	}
}
