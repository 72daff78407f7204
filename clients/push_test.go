package clients_test

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/clients"
	"github.com/nwmo/nwmo/clients/sim"
	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

func names(f *sim.Fleet) []string {
	var out []string
	for _, e := range f.Elements() {
		out = append(out, e.Name())
	}
	return out
}

func TestAdoptThenPushToEveryElement(t *testing.T) {
	e := newEnv(t, envOpts{sims: 5})
	e.addSims(nil)
	for _, n := range names(e.fleet) {
		if got := e.runningMTU(n); got != 1500 {
			t.Fatalf("running mtu of %s after adoption = %d, want the element's 1500", n, got)
		}
	}
	if err := e.commit(9000, names(e.fleet)...); err != nil {
		t.Fatal(err)
	}
	for _, s := range e.fleet.Elements() {
		if got := elementMTU(t, s.Addr()); got != 9000 {
			t.Errorf("%s mtu = %d after the commit, want 9000", s.Name(), got)
		}
		st, _ := e.m.Status(s.Name())
		if !st.CommitConfirmed || st.LastCommit == 0 {
			t.Errorf("%s status %+v, want commit-confirmed and a last commit", s.Name(), st)
		}
	}
}

// fault is a way for one element to fail a network-wide commit.
type fault struct {
	name string
	// arm breaks element el; heal undoes it once the commit failed.
	arm, heal func(el *sim.Element)
	code      codes.Code
	kind      error
}

var faults = []fault{
	{name: "rejects", code: codes.FailedPrecondition, kind: clients.ErrRejected,
		arm: func(el *sim.Element) { el.RejectNext(-1) }, heal: func(el *sim.Element) { el.RejectNext(0) }},
	{name: "down", code: codes.Unavailable, kind: clients.ErrUnreachable,
		arm: func(el *sim.Element) { el.Down() }, heal: func(el *sim.Element) { _ = el.Up() }},
	{name: "slow past the deadline", code: codes.DeadlineExceeded, kind: clients.ErrTimeout,
		arm: func(el *sim.Element) { el.SetDelay(2 * time.Second) }, heal: func(el *sim.Element) { el.SetDelay(0) }},
	{name: "crashes mid-apply", code: codes.Unavailable, kind: clients.ErrUnreachable,
		arm: func(el *sim.Element) { el.CrashNext(100 * time.Millisecond) }, heal: func(*sim.Element) {}},
}

// TestFailedCommitChangesNoElement runs a network-wide commit over five
// elements, one of which fails in each of the ways above, at a random
// element, many times; with and without the elements' own confirmed
// commits. Every element must keep its old configuration, and running
// too.
func TestFailedCommitChangesNoElement(t *testing.T) {
	rounds := 8
	if testing.Short() {
		rounds = 2
	}
	for _, confirmed := range []bool{true, false} {
		mode := "two-phase"
		if !confirmed {
			mode = "compensation"
		}
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, envOpts{sims: 5, simOpts: []sim.Option{sim.WithCommitConfirmed(confirmed)}})
			// A short timeout makes "slow" fail fast; the rest answer in
			// milliseconds.
			e.addSims(element{"timeout": "500"})
			all := names(e.fleet)
			for _, n := range all {
				if st, _ := e.m.Status(n); st.CommitConfirmed != confirmed {
					t.Fatalf("%s commit-confirmed-supported = %v, want %v", n, st.CommitConfirmed, confirmed)
				}
			}
			mtu := uint64(1500)
			for _, f := range faults {
				t.Run(f.name, func(t *testing.T) {
					for round := range rounds {
						victim := e.fleet.Elements()[rand.IntN(len(all))]
						f.arm(victim)
						err := e.commit(mtu+1+uint64(round), all...)
						f.heal(victim)
						checkElementError(t, err, victim.Name(), f)
						for _, s := range e.fleet.Elements() {
							e.waitStatus(s.Name(), "connected and in sync", func(st clients.Status) bool { return st.Connected && st.InSync })
							if got := elementMTU(t, s.Addr()); got != mtu {
								t.Fatalf("round %d, %s failing: %s has mtu %d, want the old %d", round, victim.Name(), s.Name(), got, mtu)
							}
							if got := e.runningMTU(s.Name()); uint64(got) != mtu {
								t.Fatalf("round %d: running mtu of %s = %d, want the old %d", round, s.Name(), got, mtu)
							}
						}
						// A good commit goes through after the failure.
						mtu += 100
						if err := e.commit(mtu, all...); err != nil {
							t.Fatalf("round %d: commit after the failure: %v", round, err)
						}
					}
				})
			}
		})
	}
}

func checkElementError(t *testing.T, err error, victim string, f fault) {
	t.Helper()
	if err == nil {
		t.Fatalf("commit with %s %s succeeded", victim, f.name)
	}
	if !errors.Is(err, datastore.ErrPush) {
		t.Errorf("error %v does not wrap datastore.ErrPush", err)
	}
	var ee *clients.ElementError
	if !errors.As(err, &ee) || ee.Element != victim {
		t.Fatalf("error %v does not name element %s", err, victim)
	}
	if !errors.Is(err, f.kind) {
		t.Errorf("error %v is not %v", err, f.kind)
	}
	if got := status.Code(ee); got != f.code {
		t.Errorf("element error %v has code %v, want %v", ee, got, f.code)
	}
}

// TestCommitRightAfterAdding commits on an element the moment it enters
// the inventory, racing its connection and first synchronisation: the
// commit waits for the connection and reaches the element.
func TestCommitRightAfterAdding(t *testing.T) {
	e := newEnv(t, envOpts{sims: 1})
	el := e.fleet.Element("sim-0")
	e.add(map[string]element{"sim-0": {"address": el.Addr(), "initial-sync": "push"}})
	start := time.Now()
	if _, err := e.store.Set(ctx(t), datastore.Request{Target: "sim-0", User: "test", Ops: []tree.Op{mtuOp(t, 9000)}}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("commit on a new element took %v", d)
	}
	e.waitStatus("sim-0", "in sync", func(s clients.Status) bool { return s.InSync })
	if got := elementMTU(t, el.Addr()); got != 9000 {
		t.Errorf("mtu = %d, want 9000", got)
	}
}
