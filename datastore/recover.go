package datastore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

// recover rebuilds the in-memory state from Badger:
//  1. every commit header kept, into the history (see retention.go);
//  2. each target's latest snapshot;
//  3. the log after each snapshot, replayed in commit order;
//  4. a commit found "prepared" (the crash came between its record and its
//     outcome) was never acknowledged: it is not replayed and is marked
//     failed. An element it was pushed to may hold it; the southbound finds
//     such drift when it reconnects and repairs or reports it by policy;
//  5. the pending confirmed commit, if any, with its deadline;
//  6. the open candidates, replayed on the recovered running.
func (s *Store) recover() error {
	start := time.Now()
	floor, err := readUint64(s.db, historyFloorKey)
	if err != nil {
		return err
	}
	s.hist.floor.Store(floor)
	s.lastID.Store(floor)
	headers, err := s.loadHeaders()
	if err != nil {
		return err
	}
	if err := s.loadSnapshots(); err != nil {
		return err
	}
	if _, err := s.lookupOrCreate(ServerTarget); err != nil {
		return err
	}
	replayed := 0
	for _, h := range headers {
		switch {
		case h.Status == StatusPrepared:
			h.Status = StatusFailed
			if err := s.writeHeader(h, true); err != nil {
				return err
			}
			s.log.Warn("commit was interrupted before its outcome was recorded; marked failed",
				"commit", h.ID, "targets", h.Targets)
		case h.applied() && h.Chunks > 0:
			n, err := s.replay(h)
			if err != nil {
				return fmt.Errorf("replaying commit %d: %w", h.ID, err)
			}
			replayed += n
		}
		if h.Status == StatusPendingConfirm {
			s.confirm = &pendingConfirm{id: h.ConfirmID, commit: h.ID, deadline: time.Unix(0, h.ConfirmDeadline)}
		}
		s.hist.add(h)
		if h.ID > s.lastID.Load() {
			s.lastID.Store(h.ID)
		}
	}
	if err := s.buildIndexes(); err != nil {
		return err
	}
	s.refreshInventory(s.targets[ServerTarget].root)
	if err := s.loadCandidates(); err != nil {
		return err
	}
	s.log.Info("datastore recovered", "commits", len(headers), "targets", len(s.targets),
		"replayed-commits", replayed, "last-commit", s.lastID.Load(), "took", time.Since(start).String())
	return nil
}

// buildIndexes builds every target's validation index from its recovered
// tree, on all cores: with snapshot decoding, it is most of a restart.
func (s *Store) buildIndexes() error {
	ts := make(chan *target)
	errs := make(chan error, runtime.GOMAXPROCS(0))
	for range cap(errs) {
		go func() {
			var first error
			for t := range ts {
				ix, err := t.model.Validator.NewIndex(t.root)
				if err != nil && first == nil {
					first = fmt.Errorf("target %s: the recovered configuration does not validate: %w", t.name, err)
				}
				t.index = ix
			}
			errs <- first
		}()
	}
	for _, t := range s.targets {
		ts <- t
	}
	close(ts)
	var first error
	for range cap(errs) {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *Store) loadHeaders() ([]Header, error) {
	var hs []Header
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixHeader}, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var h Header
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &h) }); err != nil {
				return fmt.Errorf("commit header %x: %w", it.Item().Key(), err)
			}
			hs = append(hs, h)
		}
		return nil
	})
	sort.Slice(hs, func(i, j int) bool { return hs[i].ID < hs[j].ID })
	return hs, err
}

// lookupOrCreate returns a target's tree, creating an empty one; during
// recovery the inventory is not known yet.
func (s *Store) lookupOrCreate(name string) (*target, error) {
	if t, ok := s.targets[name]; ok {
		return t, nil
	}
	m := s.device
	if name == ServerTarget {
		m = s.own
	}
	t, err := newTarget(name, m)
	if err != nil {
		return nil, err
	}
	s.targets[name] = t
	return t, nil
}

func (s *Store) loadSnapshots() error {
	type snap struct {
		name string
		h    snapshotHeader
	}
	var snaps []snap
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixSnapHeader}, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var h snapshotHeader
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &h) }); err != nil {
				return err
			}
			snaps = append(snaps, snap{name: string(it.Item().Key()[1:]), h: h})
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Decoding is the expensive part of a restart: spread it over the
	// cores.
	errs := make(chan error, len(snaps))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, sn := range snaps {
		t, err := s.lookupOrCreate(sn.name)
		if err != nil {
			return err
		}
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- s.loadSnapshot(t, sn.h)
		}()
	}
	for range snaps {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) loadSnapshot(t *target, h snapshotHeader) error {
	var js []byte
	err := s.db.View(func(txn *badger.Txn) error {
		prefix := snapChunkPrefix(t.name, h.Gen)
		for i := 0; i < h.Chunks; i++ {
			item, err := txn.Get(binaryChunkKey(prefix, i))
			if err != nil {
				return fmt.Errorf("snapshot of %s, chunk %d: %w", t.name, i, err)
			}
			if err := item.Value(func(v []byte) error { js = append(js, v...); return nil }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	root := t.model.Schema.New()
	if err := t.model.Schema.DecodeJSON(js, t.model.Schema.Root, reflect.ValueOf(root), true); err != nil {
		return fmt.Errorf("snapshot of %s: %w", t.name, err)
	}
	t.root, t.version, t.snapVersion = root, h.Version, h.Version
	return nil
}

// replay applies a commit to the targets whose snapshot predates it and
// returns how many targets it changed.
func (s *Store) replay(h Header) (int, error) {
	due := false
	for _, name := range h.Targets {
		t, err := s.lookupOrCreate(name)
		if err != nil {
			return 0, err
		}
		if t.version < h.ID {
			due = true
		}
	}
	if !due {
		return 0, nil
	}
	changes, err := s.readBody(h)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, tc := range changes {
		t := s.targets[tc.Target]
		if t == nil || t.version >= h.ID {
			continue
		}
		edit := t.model.Schema.NewEdit(t.root)
		for _, op := range notificationOps(t.model.Schema, tc.New) {
			if err := edit.Apply(op); err != nil {
				return n, fmt.Errorf("target %s: %w", tc.Target, err)
			}
		}
		t.version = h.ID
		t.sinceSnap += len(tc.New.GetUpdate()) + len(tc.New.GetDelete())
		n++
	}
	return n, nil
}

// loadCandidates replays every open candidate's writes on a copy of the
// recovered running configuration.
func (s *Store) loadCandidates() error {
	var infos []CandidateInfo
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixCandidate}, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var ci CandidateInfo
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &ci) }); err != nil {
				return err
			}
			infos = append(infos, ci)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, ci := range infos {
		c := &candidate{hdr: ci, elements: map[string]*candidateElement{}}
		var reqs []*gpb.SetRequest
		err := s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: candidateOpPrefix(ci.Name), PrefetchValues: true})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				req := &gpb.SetRequest{}
				if err := it.Item().Value(func(v []byte) error { return proto.Unmarshal(v, req) }); err != nil {
					return err
				}
				reqs = append(reqs, req)
				c.seq = binary.BigEndian.Uint64(bytes.TrimPrefix(it.Item().Key(), candidateOpPrefix(ci.Name)))
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.candidates[ci.Name] = c
		for _, req := range reqs {
			if err := s.replayCandidateWrite(c, req); err != nil {
				s.log.Warn("candidate write no longer applies on running; dropped from the candidate",
					"candidate", ci.Name, "element", req.GetPrefix().GetTarget(), "err", err)
			}
		}
	}
	return nil
}

func (s *Store) replayCandidateWrite(c *candidate, req *gpb.SetRequest) error {
	element := req.GetPrefix().GetTarget()
	t, err := s.lookup(element)
	if err != nil {
		return err
	}
	ce := c.elements[element]
	if ce == nil {
		if ce, err = s.copyRunning(t); err != nil {
			return err
		}
		ce.base = t.version
		if c.hdr.Base < ce.base {
			ce.base = c.hdr.Base
		}
		c.elements[element] = ce
	}
	ops := setRequestOps(req)
	edit := t.model.Schema.NewEdit(ce.root)
	for _, op := range ops {
		if err := edit.Apply(op); err != nil {
			edit.Undo()
			return err
		}
	}
	changes := edit.Changes()
	ce.index.Apply(changes)
	ce.record(ops, changes)
	return nil
}
