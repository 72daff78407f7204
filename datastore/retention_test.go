package datastore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/nwmo/nwmo/datastore/tree"
)

// keysUnder counts Badger's keys with prefix, once the journal's entries
// are all in Badger.
func keysUnder(t *testing.T, s *Store, prefix byte) int {
	t.Helper()
	if err := s.journal.barrier(); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefix}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHistoryRetention keeps the newest commits, in memory and on disk,
// and loses nothing a restart or a rollback needs: sim-1 is changed only
// by a commit that is pruned, and the store is then dropped as a crash
// would, so its configuration survives only if it was snapshotted before.
func TestHistoryRetention(t *testing.T) {
	const keep = 5
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, func(o Options) Options { return o.WithHistoryCommits(keep) })
	addElements(t, s, "sim-0", "sim-1")
	mustSet(t, s, "sim-1", update(t, "/system/config/hostname", strVal("only-in-a-pruned-commit")))
	var res []Result
	for i := range 30 {
		res = append(res, mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(uint64(1000+i)))))
	}
	last := res[len(res)-1].ID

	// The background pruner keeps the history below twice its bound.
	deadline := time.Now().Add(10 * time.Second)
	for len(s.History(HistoryFilter{})) >= 2*keep {
		if time.Now().After(deadline) {
			t.Fatalf("history holds %d commits after 10 s, want fewer than %d", len(s.History(HistoryFilter{})), 2*keep)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.pruneHistory(); err != nil {
		t.Fatal(err)
	}
	hs := s.History(HistoryFilter{})
	if len(hs) != keep || hs[0].ID != last-keep+1 {
		t.Fatalf("history = %v, want %d commits from %d", hs, keep, last-keep+1)
	}
	if n := keysUnder(t, s, prefixHeader); n != keep {
		t.Errorf("%d commit headers on disk, want %d", n, keep)
	}
	if n := keysUnder(t, s, prefixBody); n != keep {
		t.Errorf("%d commit bodies on disk, want %d", n, keep)
	}
	if _, _, err := s.Commit(1); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no longer in the history") {
		t.Errorf("Commit(1) after pruning: %v, want ErrNotFound saying it was pruned", err)
	}
	floor := last - keep
	if _, err := s.Rollback(ctx, floor-1, "op", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("Rollback(%d), below the history: %v, want ErrNotFound", floor-1, err)
	}
	// The floor's own header is gone, but every commit after it is kept.
	if _, err := s.Rollback(ctx, floor, "op", ""); err != nil {
		t.Fatalf("Rollback(%d), the history's floor: %v", floor, err)
	}
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 1024 {
		t.Errorf("eth0 mtu after rolling back to commit %d = %d, want 1024", floor, got)
	}

	crash(s)
	s = openStore(t, dir, func(o Options) Options { return o.WithHistoryCommits(keep) })
	defer s.Close()
	if got := device(t, s, "sim-1").GetSystem().GetConfig().GetHostname(); got != "only-in-a-pruned-commit" {
		t.Errorf("sim-1 hostname after restart = %q: the pruned commit's change is lost", got)
	}
	if got := mtu(device(t, s, "sim-0"), "eth0"); got != 1024 {
		t.Errorf("eth0 mtu after restart = %d, want 1024", got)
	}
	if hs := s.History(HistoryFilter{}); len(hs) != keep+1 || hs[0].ID != floor+1 {
		t.Errorf("history after restart = %d commits from %d, want %d from %d", len(hs), hs[0].ID, keep+1, floor+1)
	}
	if _, _, err := s.Commit(floor); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no longer in the history") {
		t.Errorf("Commit(%d) after restart: %v, want ErrNotFound saying it was pruned", floor, err)
	}
	if next := mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(1500))); next.ID != last+2 {
		t.Errorf("first commit after restart has id %d, want %d", next.ID, last+2)
	}
}

// TestHistoryRetentionFloorSurvives: with every header gone, the floor
// recorded with the deletes still tells a restart the highest id handed
// out, so that no id is handed out twice.
func TestHistoryRetentionFloorSurvives(t *testing.T) {
	dir := t.TempDir()
	one := func(o Options) Options { return o.WithHistoryCommits(1) }
	s := openStore(t, dir, one)
	addElements(t, s, "sim-0")
	var last Result
	for i := range 4 {
		last = mustSet(t, s, "sim-0", update(t, "/system/config/hostname", strVal("h"+string(rune('a'+i)))))
	}
	if err := s.pruneHistory(); err != nil {
		t.Fatal(err)
	}
	if hs := s.History(HistoryFilter{}); len(hs) != 1 || hs[0].ID != last.ID {
		t.Fatalf("history = %+v, want only commit %d", hs, last.ID)
	}
	// Remove the last header too, snapshot first, as pruning does: with no
	// header left, the floor alone must carry the ids.
	if err := s.snapshotThrough(last.ID + 1); err != nil {
		t.Fatal(err)
	}
	if err := s.journal.writeWait([]write{delKey(headerKey(last.ID)), delKey(bodyKey(last.ID, 0)),
		setKey(historyFloorKey, u64(nil, last.ID))}); err != nil {
		t.Fatal(err)
	}
	crash(s)
	s = openStore(t, dir, one)
	defer s.Close()
	if s.LastID() != last.ID {
		t.Errorf("LastID after restart = %d, want %d", s.LastID(), last.ID)
	}
	if got := device(t, s, "sim-0").GetSystem().GetConfig().GetHostname(); got != "hd" {
		t.Errorf("hostname after restart = %q, want hd", got)
	}
}

// TestCandidateOlderThanHistory: a candidate whose base commit was pruned
// cannot be rebased and fails to commit, saying why; a newer one commits,
// and so does an old one on an element that did not change since.
func TestCandidateOlderThanHistory(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, func(o Options) Options { return o.WithHistoryCommits(3) })
	addElements(t, s, "sim-0", "sim-1")
	mustSet(t, s, "sim-0@old", update(t, "/system/config/hostname", strVal("old")))
	mustSet(t, s, "sim-1@untouched", update(t, "/system/config/hostname", strVal("untouched")))
	for i := range 8 {
		mustSet(t, s, "sim-0", update(t, "/interfaces/interface[name=eth0]/config/mtu", uintVal(uint64(1000+i))))
	}
	mustSet(t, s, "sim-0@new", update(t, "/system/config/hostname", strVal("new")))
	if err := s.pruneHistory(); err != nil {
		t.Fatal(err)
	}
	_, err := s.CommitCandidate(ctx, "old", "alice", "", nil)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "discard it and start again") {
		t.Errorf("committing a candidate older than the history: %v, want ErrConflict saying to start again", err)
	}
	if _, err := s.CommitCandidate(ctx, "new", "alice", "", nil); err != nil {
		t.Fatalf("committing a candidate within the history: %v", err)
	}
	if got := device(t, s, "sim-0").GetSystem().GetConfig().GetHostname(); got != "new" {
		t.Errorf("hostname = %q, want new", got)
	}
	if _, err := s.CommitCandidate(ctx, "untouched", "alice", "", nil); err != nil {
		t.Fatalf("committing an old candidate on an element that did not change since: %v", err)
	}
	if got := device(t, s, "sim-1").GetSystem().GetConfig().GetHostname(); got != "untouched" {
		t.Errorf("sim-1 hostname = %q, want untouched", got)
	}
}

// TestHistoryRetentionUnderLoad prunes while writers commit and a reader
// reads changes: a reader finds a commit whole or is told it was pruned,
// never half gone, and a restart finds every writer's last value.
func TestHistoryRetentionUnderLoad(t *testing.T) {
	const keep, writers, each = 20, 8, 100
	dir := t.TempDir()
	opts := func(o Options) Options { return o.WithHistoryCommits(keep) }
	s := openStore(t, dir, opts)
	addElements(t, s, "sim-0")

	stop := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(readErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, h := range s.History(HistoryFilter{}) {
				if _, _, err := s.Commit(h.ID); err != nil && !errors.Is(err, ErrNotFound) {
					readErr <- err
					return
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("eth%d", w)
				op := update(t, "/interfaces/interface[name="+name+"]/config/mtu", uintVal(uint64(1000+i)))
				if _, err := s.Set(context.Background(), Request{Target: "sim-0", User: "test", Ops: []tree.Op{op}}); err != nil {
					t.Errorf("Set: %v", err) // not Fatal: this is not the test's goroutine
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := <-readErr; err != nil {
		t.Errorf("reading a commit while pruning: %v", err)
	}
	if err := s.pruneHistory(); err != nil {
		t.Fatal(err)
	}
	if n := len(s.History(HistoryFilter{})); n != keep {
		t.Errorf("history holds %d commits, want %d", n, keep)
	}
	crash(s)
	s = openStore(t, dir, opts)
	defer s.Close()
	d := device(t, s, "sim-0")
	for w := range writers {
		if got := mtu(d, fmt.Sprintf("eth%d", w)); got != 1000+each-1 {
			t.Errorf("eth%d mtu after restart = %d, want %d", w, got, 1000+each-1)
		}
	}
}
