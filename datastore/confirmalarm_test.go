package datastore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/nwmomodel"
)

// alarms returns nwmo's active alarms, from its state tree, by id.
func alarms(t testing.TB, s *Store) map[string]*nwmomodel.Nwmo_Alarms_Alarm_State {
	t.Helper()
	out := map[string]*nwmomodel.Nwmo_Alarms_Alarm_State{}
	err := s.ViewState(ServerTarget, func(root ygot.GoStruct, _ *tree.Schema) error {
		if al := root.(*nwmomodel.Root).Alarms; al != nil {
			for id, a := range al.Alarm {
				st := *a.GetState()
				out[id] = &st
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitAlarm waits until the alarm id is raised (raised true) or cleared, and
// returns it.
func waitAlarm(t testing.TB, s *Store, id string, raised bool) *nwmomodel.Nwmo_Alarms_Alarm_State {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, ok := alarms(t, s)[id]
		if ok == raised {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("alarm %s raised %v, want %v; alarms: %v", id, ok, raised, alarms(t, s))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestConfirmPendingAlarm follows the alarm of a confirmed commit through
// its confirmation, its cancellation, its rollback at the deadline, a
// moved deadline and a restart.
func TestConfirmPendingAlarm(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	defer func() { s.Close() }()
	addElements(t, s, "sim-0", "sim-1")
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(1500)))
	// A confirmed commit over two elements, by candidate.
	confirmed := func(confirmID string, timeout time.Duration) (uint64, string) {
		t.Helper()
		for _, el := range []string{"sim-0", "sim-1"} {
			mustSet(t, s, el+"@cand", update(t, "/system/config/hostname", strVal(confirmID)))
		}
		r, err := s.CommitCandidate(ctx, "cand", "test", "", &ConfirmOptions{ID: confirmID, Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID, fmt.Sprintf("COMMIT_CONFIRM_PENDING/%d", r.ID)
	}
	if got := alarms(t, s); len(got) != 0 {
		t.Fatalf("alarms before any confirmed commit: %v", got)
	}

	commit, id := confirmed("c1", time.Hour)
	a := waitAlarm(t, s, id, true)
	h, _, err := s.Commit(commit)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Unix(0, h.ConfirmDeadline).UTC().Format(time.RFC3339)
	if a.GetId() != id || a.GetTypeId() != "COMMIT_CONFIRM_PENDING" || a.GetResource() != "nwmo" ||
		a.GetSeverity() != nwmomodel.Nwmo_AlarmSeverity_warning || a.GetTimeCreated() != uint64(h.Time) {
		t.Errorf("alarm %+v, want id %s, resource nwmo, severity warning, created at the commit's time %d", a, id, h.Time)
	}
	for _, want := range []string{fmt.Sprint(commit), `"c1"`, "sim-0, sim-1", deadline} {
		if !strings.Contains(a.GetText(), want) {
			t.Errorf("alarm text %q does not name %s", a.GetText(), want)
		}
	}

	// A moved deadline changes the text, not the time it was raised.
	if err := s.SetRollbackDuration(ctx, "c1", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	h, _, _ = s.Commit(commit)
	moved := time.Unix(0, h.ConfirmDeadline).UTC().Format(time.RFC3339)
	waitFor(t, "the alarm's text to name the moved deadline", func() bool {
		return strings.Contains(alarms(t, s)[id].GetText(), moved)
	})
	if got := alarms(t, s)[id].GetTimeCreated(); got != a.GetTimeCreated() {
		t.Errorf("time-created %d after the deadline moved, want it kept: %d", got, a.GetTimeCreated())
	}

	if _, err := s.Confirm(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	waitAlarm(t, s, id, false)

	_, id = confirmed("c2", time.Hour)
	waitAlarm(t, s, id, true)
	if _, err := s.Cancel(ctx, "c2"); err != nil {
		t.Fatal(err)
	}
	waitAlarm(t, s, id, false)

	_, id = confirmed("c3", 100*time.Millisecond)
	// Raised, then cleared when the timer rolls it back: wait for the
	// rollback, then check that the alarm went with it.
	waitFor(t, "c3 to be rolled back at its deadline", func() bool { _, ok := s.Pending(); return !ok })
	waitAlarm(t, s, id, false)

	// A commit still pending when the datastore closes is raised again
	// when it opens, before Open returns.
	_, id = confirmed("c4", time.Hour)
	a = waitAlarm(t, s, id, true)
	s.Close()
	s = openStore(t, dir)
	got, ok := alarms(t, s)[id]
	if !ok {
		t.Fatalf("alarm %s not raised after a restart with c4 pending: %v", id, alarms(t, s))
	}
	if got.GetTimeCreated() != a.GetTimeCreated() || got.GetText() != a.GetText() {
		t.Errorf("alarm after restart %+v, want it as before: %+v", got, a)
	}
	if _, err := s.Confirm(ctx, "c4"); err != nil {
		t.Fatal(err)
	}
	waitAlarm(t, s, id, false)
	if got := alarms(t, s); len(got) != 0 {
		t.Errorf("alarms left: %v", got)
	}
}

func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
