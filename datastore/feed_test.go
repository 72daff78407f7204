package datastore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nwmo/nwmo/datastore/tree"
)

func TestWatchOrderAndResync(t *testing.T) {
	// The ring holds about half of the commits: the reading watcher keeps
	// up with it even under the race detector, the idle one falls out.
	s := newStore(t, func(o Options) Options { return o.WithFeedSize(48) })
	addElements(t, s, "sim-0")
	w := s.Watch()
	slow := s.Watch()

	const writers, each = 4, 25
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				mustSet(t, s, "sim-0", update(t, fmt.Sprintf("/interfaces/interface[name=eth%d]/config/mtu", g), uintVal(uint64(1000+i))))
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var last uint64
	for n := 0; n < writers*each; n++ {
		e, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("Next after %d events: %v", n, err)
		}
		if e.ID <= last {
			t.Fatalf("event %d after %d: out of order", e.ID, last)
		}
		if len(e.Changes) != 1 || e.Changes[0].Target != "sim-0" || len(e.Changes[0].New.GetUpdate()) == 0 {
			t.Fatalf("event %d has changes %+v", e.ID, e.Changes)
		}
		last = e.ID
	}
	wg.Wait()
	if _, err := slow.Next(ctx); !errors.Is(err, ErrResync) {
		t.Errorf("a watcher 100 commits behind a feed of 48: %v, want ErrResync", err)
	}
	// After a resync the watcher goes on with new commits.
	res := mustSet(t, s, "sim-0", update(t, "/system/config/hostname", strVal("after")))
	if e, err := slow.Next(ctx); err != nil || e.ID != res.ID {
		t.Errorf("after resync: %v, %v; want commit %d", e, err, res.ID)
	}
}

// TestConcurrentWritersLoseNothing runs many writers on the same element
// and checks that every acknowledged commit is in the tree and the log.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	addElements(t, s, "sim-0")
	const writers, each = 16, 20
	var mu sync.Mutex
	ids := map[uint64]bool{}
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r := mustSet(t, s, "sim-0", update(t, fmt.Sprintf("/interfaces/interface[name=eth%d]/config/description", g), strVal(fmt.Sprint(i))))
				mu.Lock()
				if ids[r.ID] {
					t.Errorf("commit id %d handed out twice", r.ID)
				}
				ids[r.ID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	s.Close()
	s = openStore(t, dir)
	defer s.Close()
	d := device(t, s, "sim-0")
	for g := 0; g < writers; g++ {
		if got := d.GetInterfaces().GetInterface(fmt.Sprintf("eth%d", g)).GetConfig().GetDescription(); got != fmt.Sprint(each-1) {
			t.Errorf("eth%d description = %q, want %q", g, got, fmt.Sprint(each-1))
		}
	}
	for id := range ids {
		if _, _, err := s.Commit(id); err != nil {
			t.Errorf("acknowledged commit %d lost: %v", id, err)
		}
	}
}

// fakePusher records pushes and fails on request.
type fakePusher struct {
	mu      sync.Mutex
	managed map[string]bool
	fail    error
	pushed  []*Commit
}

func (p *fakePusher) Manages(e string) bool { return p.managed[e] }

func (p *fakePusher) Push(_ context.Context, c *Commit) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.pushed = append(p.pushed, c)
	return nil
}

func TestPushAllOrNothing(t *testing.T) {
	p := &fakePusher{managed: map[string]bool{"sim-0": true, "sim-1": true}}
	s := newStore(t, func(o Options) Options { return o.WithPusher(p) })
	addElements(t, s, "sim-0", "sim-1", "sim-2")
	mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(1500)))
	if len(p.pushed) != 1 || p.pushed[0].Elements[0].Element != "sim-0" ||
		len(p.pushed[0].Elements[0].Ops.GetUpdate()) == 0 {
		t.Fatalf("pushed %+v", p.pushed)
	}
	mustSet(t, s, "sim-2", update(t, "/system/config/hostname", strVal("r2")))
	if len(p.pushed) != 1 {
		t.Errorf("a commit on unmanaged sim-2 was pushed")
	}

	p.fail = fmt.Errorf("element sim-1: rejected")
	mustSet(t, s, "sim-0@big", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(9000)))
	mustSet(t, s, "sim-1@big", update(t, "/system/config/hostname", strVal("r1")))
	_, err := s.CommitCandidate(context.Background(), "big", "dave", "", nil)
	if !errors.Is(err, ErrPush) || !errors.Is(err, p.fail) {
		t.Fatalf("CommitCandidate with a failing push: %v, want ErrPush wrapping the element's error", err)
	}
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 1500 {
		t.Errorf("sim-0 mtu after failed push = %d, want 1500", got)
	}
	if got := device(t, s, "sim-1").GetSystem().GetConfig().GetHostname(); got != "" {
		t.Errorf("sim-1 hostname after failed push = %q, want unset", got)
	}
	hs := s.History(HistoryFilter{})
	if last := hs[len(hs)-1]; last.Status != StatusFailed {
		t.Errorf("failed commit recorded as %q, want failed", last.Status)
	}
	// The candidate is still there to fix and retry.
	p.fail = nil
	if _, err := s.CommitCandidate(context.Background(), "big", "dave", "", nil); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 9000 {
		t.Errorf("sim-0 mtu after retry = %d, want 9000", got)
	}
}

// TestWatchHistory follows the history feed through a commit, a confirmed
// commit and its confirmation, a candidate's life and the pruning of old
// commits: each change comes once, in order, with what it changed.
func TestWatchHistory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := newStore(t, func(o Options) Options { return o.WithHistoryCommits(2) })
	addElements(t, s, "sim-0")
	w := s.WatchHistory()
	next := func() *HistoryChange {
		t.Helper()
		e, err := w.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return e.History
	}
	hostname := func(target, name string, c *ConfirmOptions) Result {
		t.Helper()
		r, err := s.Set(ctx, Request{Target: target, Confirm: c, Ops: []tree.Op{update(t, "/system/config/hostname", strVal(name))}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	r := hostname("sim-0", "a", nil)
	if hc := next(); hc.Commit == nil || hc.Commit.ID != r.ID || hc.Commit.Status != StatusCommitted || hc.Was != nil {
		t.Fatalf("commit %d: %+v", r.ID, hc)
	}
	r = hostname("sim-0", "b", &ConfirmOptions{ID: "cc", Timeout: time.Hour})
	if hc := next(); hc.Commit == nil || hc.Commit.ID != r.ID || hc.Commit.Status != StatusPendingConfirm {
		t.Fatalf("confirmed commit %d: %+v", r.ID, hc)
	}
	if _, err := s.Confirm(ctx, "cc"); err != nil {
		t.Fatal(err)
	}
	if hc := next(); hc.Commit == nil || hc.Commit.ID != r.ID || hc.Commit.Status != StatusCommitted || hc.Was == nil || hc.Was.Status != StatusPendingConfirm {
		t.Fatalf("confirmation of %d: %+v", r.ID, hc)
	}

	// A candidate whose first write fails is never announced; one whose
	// first write lands is, once.
	if _, err := s.Set(context.Background(), Request{Target: "sim-0@c0", User: "test",
		Ops: []tree.Op{update(t, "/system/config/no-such-leaf", strVal("x"))}}); err == nil {
		t.Fatal("a write of a leaf the schema does not have succeeded")
	}
	hostname("sim-0@c1", "c", nil)
	if hc := next(); hc.Candidate != "c1" {
		t.Fatalf("the first event after c1's write: %+v, want c1's", hc)
	} else if ci, ok := s.Candidate("c1"); !ok || ci.Edits != 1 {
		t.Errorf("candidate c1 after its write: %+v %v", ci, ok)
	}
	if err := s.Discard("c1"); err != nil {
		t.Fatal(err)
	}
	if hc := next(); hc.Candidate != "c1" {
		t.Fatalf("discard: %+v", hc)
	} else if _, ok := s.Candidate("c1"); ok {
		t.Error("c1 still open after its discard")
	}

	// Four commits beyond a bound of 2: the pruner drops the oldest ones,
	// after their own events.
	before := s.LastID()
	for i := range 4 {
		hostname("sim-0", fmt.Sprint("p", i), nil)
	}
	var dropped []uint64
	for len(dropped) == 0 {
		hc := next()
		for _, h := range hc.Dropped {
			dropped = append(dropped, h.ID)
		}
		if hc.Commit != nil && hc.Commit.ID <= before {
			t.Errorf("commit %d recorded again", hc.Commit.ID)
		}
	}
	if dropped[0] != 1 {
		t.Errorf("dropped %v, want the oldest first", dropped)
	}
	if floor := s.hist.floor.Load(); dropped[len(dropped)-1] != floor {
		t.Errorf("dropped up to %d, the history's floor is %d", dropped[len(dropped)-1], floor)
	}
}
