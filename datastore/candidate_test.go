package datastore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/nwmo/nwmo/datastore/tree"
)

func TestCandidate(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	addElements(t, s, "sim-0", "sim-1")
	mustSet(t, s, "sim-0", update(t, "/interfaces", jsonVal(interfacesJSON(2, 1500))))

	mustSet(t, s, "sim-0@c1", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(9000)))
	mustSet(t, s, "sim-1@c1", update(t, "/system/config/hostname", strVal("r1")))
	if got := mtu(device(t, s, "sim-0@c1"), "eth0"); got != 9000 {
		t.Errorf("candidate view mtu = %d, want 9000", got)
	}
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 1500 {
		t.Errorf("running mtu = %d before commit, want 1500", got)
	}
	// Every write is validated.
	if _, err := s.Set(context.Background(), Request{Target: "sim-0@c1",
		Ops: []tree.Op{update(t, "/interfaces/interface[name=eth0]/config/mtu", strVal("x"))}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad candidate write: err = %v, want ErrInvalid", err)
	}

	// The candidate survives a restart.
	s.Close()
	s = openStore(t, dir)
	defer s.Close()
	if cs := s.Candidates(); len(cs) != 1 || cs[0].Name != "c1" || strings.Join(cs[0].Elements, ",") != "sim-0,sim-1" {
		t.Fatalf("Candidates() after restart = %+v", cs)
	}
	if got := mtu(device(t, s, "sim-0@c1"), "eth0"); got != 9000 {
		t.Errorf("candidate view mtu after restart = %d, want 9000", got)
	}

	// Running moves underneath without overlap: the commit rebases.
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth1]/config/mtu", uintVal(1600)))
	res, err := s.CommitCandidate(context.Background(), "c1", "alice", "", nil)
	if err != nil {
		t.Fatalf("CommitCandidate: %v", err)
	}
	h, changes, err := s.Commit(res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if h.Candidate != "c1" || h.User != "alice" || len(changes) != 2 || strings.Join(h.Targets, ",") != "sim-0,sim-1" {
		t.Errorf("commit record = %+v with %d target changes", h, len(changes))
	}
	d0 := device(t, s, "sim-0")
	if mtu(d0, "eth0") != 9000 || mtu(d0, "eth1") != 1600 {
		t.Errorf("after commit: eth0 %d eth1 %d, want 9000 1600", mtu(d0, "eth0"), mtu(d0, "eth1"))
	}
	if got := device(t, s, "sim-1").GetSystem().GetConfig().GetHostname(); got != "r1" {
		t.Errorf("sim-1 hostname = %q, want r1", got)
	}
	if len(s.Candidates()) != 0 {
		t.Errorf("candidate still open after commit: %+v", s.Candidates())
	}
}

// A candidate opens with its first write that succeeds: a first write
// that fails leaves no empty candidate behind, a later one keeps it.
func TestCandidateFirstWriteFails(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	addElements(t, s, "sim-0")
	bad := Request{Target: "sim-0@c1", Ops: []tree.Op{update(t, "/interfaces/interface[name=eth0]/config/mtu", strVal("x"))}}
	if _, err := s.Set(context.Background(), bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad first write: err = %v, want ErrInvalid", err)
	}
	if cs := s.Candidates(); len(cs) != 0 {
		t.Fatalf("Candidates() after a failed first write = %+v, want none", cs)
	}
	if _, ok := s.Candidate("c1"); ok {
		t.Fatal("Candidate(c1) found after a failed first write")
	}

	mustSet(t, s, "sim-0@c1", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(9000)))
	if _, err := s.Set(context.Background(), bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad second write: err = %v, want ErrInvalid", err)
	}
	if c, ok := s.Candidate("c1"); !ok || c.Edits != 1 {
		t.Fatalf("Candidate(c1) after a failed second write = %+v, %v; want it open with 1 edit", c, ok)
	}
	if got := mtu(device(t, s, "sim-0@c1"), "eth0"); got != 9000 {
		t.Errorf("candidate view mtu = %d, want 9000", got)
	}
}

func TestCandidateConflict(t *testing.T) {
	s := newStore(t)
	addElements(t, s, "sim-0")
	mustSet(t, s, "sim-0", update(t, "/interfaces", jsonVal(interfacesJSON(1, 1500))))
	mustSet(t, s, "sim-0@c2", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(9000)))
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(1600)))
	_, err := s.CommitCandidate(context.Background(), "c2", "bob", "", nil)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "/interfaces/interface[name=eth0]/config/mtu") {
		t.Fatalf("CommitCandidate over a conflicting change: err = %v, want ErrConflict naming the path", err)
	}
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 1600 {
		t.Errorf("mtu = %d after the failed commit, want 1600", got)
	}
	if err := s.Discard("c2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Discard("c2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Discard: err = %v, want ErrNotFound", err)
	}
	if _, err := s.CommitCandidate(context.Background(), "nope", "bob", "", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("commit of unknown candidate: err = %v, want ErrNotFound", err)
	}
}

// A write reopening a candidate's name while the candidate is committed or
// discarded lands either in the old candidate, before it closes, or in a
// new one whose records survive a restart: what a reader sees of the
// candidates before a restart, it sees after.
func TestCandidateReopenedWhileClosing(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	addElements(t, s, "sim-0")
	mtuPath := "/interfaces/interface[name=eth0]/config/mtu"
	mustSet(t, s, "sim-0", update(t, "/interfaces", jsonVal(interfacesJSON(1, 1500))))
	for i := range 60 {
		mustSet(t, s, "sim-0@c", update(t, mtuPath, uintVal(uint64(2000+i))))
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, err = s.CommitCandidate(context.Background(), "c", "test", "", nil)
			} else {
				err = s.Discard("c")
			}
			if err != nil && !errors.Is(err, ErrNotFound) {
				t.Errorf("round %d: closing c: %v", i, err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := s.Set(context.Background(), Request{Target: "sim-0@c", User: "test",
				Ops: []tree.Op{update(t, mtuPath, uintVal(uint64(5000+i)))}}); err != nil {
				t.Errorf("round %d: writing c: %v", i, err)
			}
		}()
		wg.Wait()
		before, open := s.Candidate("c")
		var beforeMTU uint16
		if open {
			beforeMTU = mtu(device(t, s, "sim-0@c"), "eth0")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = openStore(t, dir)
		after, reopened := s.Candidate("c")
		if open != reopened || before.Edits != after.Edits || strings.Join(before.Elements, ",") != strings.Join(after.Elements, ",") {
			t.Fatalf("round %d: candidate c before the restart %+v (open %v), after %+v (open %v)", i, before, open, after, reopened)
		}
		if open {
			if got := mtu(device(t, s, "sim-0@c"), "eth0"); got != beforeMTU {
				t.Fatalf("round %d: c's mtu %d after the restart, %d before", i, got, beforeMTU)
			}
			if err := s.Discard("c"); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Close()
}
