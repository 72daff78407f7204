package datastore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore/tree"
)

func TestRollback(t *testing.T) {
	s := newStore(t)
	addElements(t, s, "sim-0")
	first := mustSet(t, s, "sim-0", update(t, "/interfaces", jsonVal(interfacesJSON(2, 1500))))
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(9000)))
	mustSet(t, s, "sim-0", del(t, "/interfaces/interface[name=eth1]"))
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth5]/config/mtu", uintVal(1234)))

	res, err := s.Rollback(context.Background(), first.ID, "carol", "")
	if err != nil {
		t.Fatalf("Rollback(%d): %v", first.ID, err)
	}
	d := device(t, s, "sim-0")
	if mtu(d, "eth0") != 1500 || mtu(d, "eth1") != 1500 || d.GetInterfaces().GetInterface("eth5") != nil {
		t.Errorf("after rollback: eth0 %d eth1 %d eth5 %v; want 1500 1500 absent",
			mtu(d, "eth0"), mtu(d, "eth1"), d.GetInterfaces().GetInterface("eth5"))
	}
	h, _, err := s.Commit(res.ID)
	if err != nil || h.RollbackOf != first.ID || h.User != "carol" {
		t.Errorf("rollback commit = %+v, %v", h, err)
	}
	if got := s.History(HistoryFilter{User: "carol"}); len(got) != 1 {
		t.Errorf("History(user carol) = %d commits, want 1", len(got))
	}
	if got := s.History(HistoryFilter{Target: "sim-0", Limit: 2}); len(got) != 2 || got[1].ID != res.ID {
		t.Errorf("History(sim-0, limit 2) = %+v", got)
	}
	if _, err := s.Rollback(context.Background(), 999, "carol", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("Rollback(999): %v, want ErrNotFound", err)
	}
}

// Permitted sees every leaf the rollback changes, as computed with the
// elements locked, and its refusal leaves everything as it was.
func TestRollbackPermitted(t *testing.T) {
	s := newStore(t)
	addElements(t, s, "sim-0")
	first := mustSet(t, s, "sim-0", update(t, "/interfaces", jsonVal(interfacesJSON(2, 1500))))
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(9000)))
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth1]/config/mtu", uintVal(9100)))
	last := s.LastID()
	var seen []string
	refuse := errors.New("refused")
	_, err := s.Rollback(context.Background(), first.ID, "carol", "", Permitted(func(target string, leaf []*gpb.PathElem) error {
		seen = append(seen, target+tree.FormatPath(leaf))
		if strings.Contains(tree.FormatPath(leaf), "eth1") {
			return refuse
		}
		return nil
	}))
	if !errors.Is(err, refuse) {
		t.Fatalf("Rollback: %v, want the permit's error", err)
	}
	slices.Sort(seen)
	if want := []string{"sim-0/interfaces/interface[name=eth0]/config/mtu", "sim-0/interfaces/interface[name=eth1]/config/mtu"}; !slices.Equal(seen, want) {
		t.Errorf("the permit saw %q, want %q", seen, want)
	}
	if d := device(t, s, "sim-0"); mtu(d, "eth0") != 9000 || mtu(d, "eth1") != 9100 || s.LastID() != last {
		t.Errorf("after a refused rollback: eth0 %d eth1 %d, last commit %d (was %d)", mtu(d, "eth0"), mtu(d, "eth1"), s.LastID(), last)
	}
}

func TestConfirmedCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	addElements(t, s, "sim-0")
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(1500)))

	set := func(v uint64, c *ConfirmOptions) error {
		_, err := s.Set(ctx, Request{Target: "sim-0", Confirm: c,
			Ops: []tree.Op{update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(v))}})
		return err
	}
	if err := set(9000, &ConfirmOptions{ID: "c1", Timeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if p, ok := s.Pending(); !ok || p.ID != "c1" {
		t.Fatalf("Pending() = %+v, %v", p, ok)
	}
	if err := set(1, nil); !errors.Is(err, ErrPrecondition) {
		t.Errorf("Set while pending: %v, want ErrPrecondition", err)
	}
	if err := set(2, &ConfirmOptions{ID: "c2"}); !errors.Is(err, ErrPrecondition) {
		t.Errorf("second confirmed commit while pending: %v, want ErrPrecondition", err)
	}
	if _, err := s.Confirm(ctx, "zz"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Confirm(wrong id): %v, want ErrInvalid", err)
	}

	// The pending commit and its timer survive a restart.
	s.Close()
	s = openStore(t, dir)
	defer s.Close()
	if p, ok := s.Pending(); !ok || p.ID != "c1" {
		t.Fatalf("Pending() after restart = %+v, %v", p, ok)
	}
	if _, err := s.Cancel(ctx, "c1"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 1500 {
		t.Errorf("mtu after cancel = %d, want 1500", got)
	}
	if _, err := s.Confirm(ctx, "c1"); !errors.Is(err, ErrPrecondition) {
		t.Errorf("Confirm with nothing pending: %v, want ErrPrecondition", err)
	}

	// Confirmed in time: it stays.
	if err := set(9100, &ConfirmOptions{ID: "c3", Timeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Confirm(ctx, "c3"); err != nil {
		t.Fatal(err)
	}
	if err := set(9200, &ConfirmOptions{ID: "c4", Timeout: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	// Not confirmed: rolled back by the timer.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := s.Pending(); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("confirmed commit c4 was not rolled back in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 9100 {
		t.Errorf("mtu after timeout = %d, want 9100", got)
	}
	var statuses []Status
	for _, h := range s.History(HistoryFilter{}) {
		statuses = append(statuses, h.Status)
	}
	want := []Status{StatusCommitted, StatusCommitted, StatusRolledBack, StatusCommitted, StatusCommitted, StatusRolledBack, StatusCommitted}
	if len(statuses) != len(want) {
		t.Fatalf("statuses = %v, want %v", statuses, want)
	}
	for i := range want {
		if statuses[i] != want[i] {
			t.Errorf("statuses = %v, want %v", statuses, want)
			break
		}
	}
}
