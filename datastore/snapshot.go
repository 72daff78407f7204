package datastore

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// snapshotHeader says which generation of chunks holds a target's latest
// snapshot and which commit it includes.
type snapshotHeader struct {
	Version uint64 `json:"version"`
	Gen     uint64 `json:"gen"`
	Chunks  int    `json:"chunks"`
}

// maybeSnapshot starts a snapshot of t in the background once enough has
// changed since its last one.
func (s *Store) maybeSnapshot(t *target) {
	t.mu.Lock()
	due := t.sinceSnap >= s.opts.SnapshotEvery && !t.snapshotting && !s.closed.Load()
	if due {
		t.snapshotting = true
	}
	t.mu.Unlock()
	if !due {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.snapshot(t); err != nil {
			s.log.Warn("snapshot failed; the log will be replayed on restart", "target", t.name, "err", err)
		}
	}()
}

// snapshot writes t's whole running configuration, so that a restart
// replays only the commits after it. It is written only once the commit
// it includes is durable, and the previous generation is deleted only
// after the new header is.
func (s *Store) snapshot(t *target) error {
	t.mu.RLock()
	js, err := t.model.Schema.AppendJSON(nil, t.model.Schema.Root, reflect.ValueOf(t.root), "", true)
	version, changes, prev := t.version, t.sinceSnap, t.snapVersion
	t.mu.RUnlock()
	defer func() {
		t.mu.Lock()
		t.snapshotting = false
		t.mu.Unlock()
	}()
	if err != nil {
		return err
	}
	if err := s.waitDurable(version); err != nil {
		return err
	}
	parts := chunks(js)
	for i := 0; i < len(parts); i += chunksPerTxn {
		end := min(i+chunksPerTxn, len(parts))
		err := s.db.Update(func(txn *badger.Txn) error {
			for j := i; j < end; j++ {
				if err := txn.Set(binaryChunkKey(snapChunkPrefix(t.name, version), j), parts[j]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	hb, _ := json.Marshal(snapshotHeader{Version: version, Gen: version, Chunks: len(parts)})
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(snapHeaderKey(t.name), hb) }); err != nil {
		return err
	}
	if prev != version {
		if err := s.deletePrefix(snapChunkPrefix(t.name, prev)); err != nil {
			s.log.Warn("deleting old snapshot", "target", t.name, "err", err)
		}
	}
	t.mu.Lock()
	t.sinceSnap -= changes
	t.snapVersion = version
	t.mu.Unlock()
	s.log.Debug("snapshot written", "target", t.name, "version", version, "bytes", len(js))
	return nil
}

func binaryChunkKey(prefix []byte, i int) []byte {
	return append(append([]byte{}, prefix...), byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
}

// waitDurable waits until commit id is on disk (its header is in the
// in-memory history only then).
func (s *Store) waitDurable(id uint64) error {
	if id == 0 {
		return nil
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if _, ok := s.hist.get(id); ok || id <= s.hist.floor.Load() {
			return nil
		}
		if s.closed.Load() || time.Now().After(deadline) {
			return fmt.Errorf("commit %d is not durable", id)
		}
		select {
		case <-s.stop:
			return ErrClosed
		case <-time.After(time.Millisecond):
		}
	}
}

// snapshotAll writes a snapshot of every target changed since its last
// one; Close calls it so that a clean restart replays nothing.
func (s *Store) snapshotAll() {
	for _, t := range s.targetList() {
		t.mu.Lock()
		due := t.sinceSnap > 0 && !t.snapshotting
		if due {
			t.snapshotting = true
		}
		t.mu.Unlock()
		if due {
			if err := s.snapshot(t); err != nil {
				s.log.Warn("snapshot at close failed", "target", t.name, "err", err)
			}
		}
	}
}

// targetList returns every target the store has.
func (s *Store) targetList() []*target {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ts := make([]*target, 0, len(s.targets))
	for _, t := range s.targets {
		ts = append(ts, t)
	}
	return ts
}
