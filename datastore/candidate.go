package datastore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/datastore/validate"
)

// candidate is a named set of edits over one or more elements, invisible
// to the elements until committed. Each element it touches has its own
// copy of running with the edits applied, so that reads of ELEMENT@NAME
// and validation of every write see exactly what a commit would produce.
type candidate struct {
	mu       sync.RWMutex
	hdr      CandidateInfo
	seq      uint64 // writes persisted so far
	elements map[string]*candidateElement
	// gone is set, under mu, once the candidate is committed or
	// discarded: a write that found it before then opens a new one.
	gone bool
}

type candidateElement struct {
	root  ygot.GoStruct
	index *validate.Index
	ops   []tree.Op
	// base is the version of running the copy was taken at; changed and
	// covered are what the candidate changed since, to find conflicts.
	base    uint64
	changed map[string]bool // leaf paths the candidate changed
	covered []string        // paths it replaced or deleted as a whole
}

// CandidateInfo describes an open candidate.
type CandidateInfo struct {
	Name     string   `json:"name"`
	Owner    string   `json:"owner"`
	Created  int64    `json:"created"`
	Modified int64    `json:"modified"`
	Base     uint64   `json:"base"`
	Elements []string `json:"elements"`
	Edits    int      `json:"edits"`
}

// Candidates lists the open candidates, by name.
func (s *Store) Candidates() []CandidateInfo {
	// A candidate's lock is never taken under s.mu: committing one takes
	// s.mu under the candidate's.
	s.mu.RLock()
	cs := make([]*candidate, 0, len(s.candidates))
	for _, c := range s.candidates {
		cs = append(cs, c)
	}
	s.mu.RUnlock()
	out := make([]CandidateInfo, 0, len(cs))
	for _, c := range cs {
		c.mu.RLock()
		if !c.gone {
			out = append(out, c.info())
		}
		c.mu.RUnlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Candidate describes the open candidate name; ok is false when there is
// none.
func (s *Store) Candidate(name string) (info CandidateInfo, ok bool) {
	s.mu.RLock()
	c, ok := s.candidates[name]
	s.mu.RUnlock()
	if !ok {
		return CandidateInfo{}, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gone {
		return CandidateInfo{}, false
	}
	return c.info(), true
}

// candidateChanged puts on the history feed that candidate name was
// opened, written to, committed or discarded.
func (s *Store) candidateChanged(name string) {
	s.historyFeed.publish(&Event{Header: Header{Time: s.opts.Now().UnixNano()}, History: &HistoryChange{Candidate: name}})
}

func (c *candidate) info() CandidateInfo {
	i := c.hdr
	i.Elements = make([]string, 0, len(c.elements))
	for e := range c.elements {
		i.Elements = append(i.Elements, e)
	}
	sort.Strings(i.Elements)
	return i
}

func validCandidateName(name string) error {
	if name == "" || strings.ContainsAny(name, "@/\x00") {
		return fmt.Errorf("%w: candidate name %q: use letters, digits, '-', '_' or '.'", ErrInvalid, name)
	}
	return nil
}

// editCandidate applies a write to candidate cand's view of element,
// creating the candidate on its first write. Nothing reaches the element.
// A candidate whose first write fails is not left open, empty.
func (s *Store) editCandidate(ctx context.Context, element, cand, user string, ops []tree.Op) (_ Result, err error) {
	if err := validCandidateName(cand); err != nil {
		return Result{}, err
	}
	if element == ServerTarget {
		return Result{}, fmt.Errorf("%w: nwmo's own configuration has no candidates; set it directly", ErrInvalid)
	}
	t, err := s.lookup(element)
	if err != nil {
		return Result{}, err
	}
	now := s.opts.Now().UnixNano()
	c := s.openCandidate(cand, user, now)
	defer func() {
		if err != nil && c.hdr.Edits == 0 {
			s.closeCandidate(c)
		}
		c.mu.Unlock()
	}()
	ce := c.elements[element]
	fresh := ce == nil
	if fresh {
		if ce, err = s.copyRunning(t); err != nil {
			return Result{}, err
		}
	}
	edit := t.model.Schema.NewEdit(ce.root)
	for i, op := range ops {
		if err := edit.Apply(op); err != nil {
			edit.Undo()
			return Result{}, &OpError{Index: i, Err: targetErr(element+"@"+cand, op, err)}
		}
	}
	changes := edit.Changes()
	if err := configOnly(element+"@"+cand, changes); err != nil {
		edit.Undo()
		return Result{}, err
	}
	prepared, err := ce.index.Prepare(ce.root, changes)
	if err != nil {
		edit.Undo()
		return Result{}, fmt.Errorf("%w: target %s@%s: %w", ErrInvalid, element, cand, err)
	}

	hdr := c.hdr
	hdr.Modified = now
	hdr.Edits++
	seq := c.seq + 1
	if err := s.persistCandidateWrite(cand, hdr, seq, element, ops); err != nil {
		edit.Undo()
		return Result{}, err
	}
	prepared.Apply()
	ce.record(ops, changes)
	if fresh {
		c.elements[element] = ce
	}
	c.hdr, c.seq = hdr, seq
	s.candidateChanged(cand)
	return Result{Time: now}, nil
}

// openCandidate returns candidate name, locked, opening it if there is
// none (or it went while this waited for its lock).
func (s *Store) openCandidate(name, user string, now int64) *candidate {
	for {
		s.mu.Lock()
		c, ok := s.candidates[name]
		if !ok {
			c = &candidate{
				hdr:      CandidateInfo{Name: name, Owner: user, Created: now, Base: s.lastID.Load()},
				elements: map[string]*candidateElement{},
			}
			s.candidates[name] = c
		}
		s.mu.Unlock()
		c.mu.Lock()
		if !c.gone {
			return c
		}
		c.mu.Unlock()
	}
}

// closeCandidate takes c out of the open candidates, once committed or
// discarded and its records deleted, or when no write reached it (nothing
// of it is on disk then). Called with c.mu held.
func (s *Store) closeCandidate(c *candidate) {
	name := c.hdr.Name
	s.mu.Lock()
	if s.candidates[name] == c {
		delete(s.candidates, name)
	}
	s.mu.Unlock()
	c.gone = true
	if c.hdr.Edits > 0 {
		// One no write reached was never announced: its first write is
		// what announces a candidate.
		s.candidateChanged(name)
	}
}

// record adds a validated write, already in the candidate's index, to
// its view of an element.
func (ce *candidateElement) record(ops []tree.Op, changes []tree.LeafChange) {
	ce.ops = append(ce.ops, ops...)
	for _, ch := range changes {
		ce.changed[tree.FormatPath(ch.Path)] = true
	}
	for _, op := range ops {
		if op.Kind != tree.Update {
			ce.covered = append(ce.covered, tree.FormatPath(op.Path))
		}
	}
}

// copyRunning takes a candidate's private copy of an element's running
// configuration.
func (s *Store) copyRunning(t *target) (*candidateElement, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	root, err := ygot.DeepCopy(t.root)
	if err != nil {
		return nil, err
	}
	return &candidateElement{root: root, index: t.index.Clone(), base: t.version, changed: map[string]bool{}}, nil
}

// persistCandidateWrite records one write of a candidate durably.
func (s *Store) persistCandidateWrite(name string, hdr CandidateInfo, seq uint64, element string, ops []tree.Op) error {
	hb, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	ob, err := proto.Marshal(opsToSetRequest(element, ops))
	if err != nil {
		return err
	}
	return s.journal.writeWait([]write{setKey(candidateKey(name), hb), setKey(u64(candidateOpPrefix(name), seq), ob)})
}

// opsToSetRequest and setRequestOps convert between operations and the
// SetRequest they are persisted as (gNMI order is kept within a write).
func opsToSetRequest(element string, ops []tree.Op) *gpb.SetRequest {
	req := &gpb.SetRequest{Prefix: &gpb.Path{Target: element}}
	for _, op := range ops {
		p := &gpb.Path{Elem: op.Path}
		switch op.Kind {
		case tree.Delete:
			req.Delete = append(req.Delete, p)
		case tree.Replace:
			req.Replace = append(req.Replace, &gpb.Update{Path: p, Val: op.Value})
		case tree.Update:
			req.Update = append(req.Update, &gpb.Update{Path: p, Val: op.Value})
		}
	}
	return req
}

func setRequestOps(req *gpb.SetRequest) []tree.Op {
	var ops []tree.Op
	for _, p := range req.GetDelete() {
		ops = append(ops, tree.Op{Kind: tree.Delete, Path: p.GetElem()})
	}
	for _, u := range req.GetReplace() {
		ops = append(ops, tree.Op{Kind: tree.Replace, Path: u.GetPath().GetElem(), Value: u.GetVal()})
	}
	for _, u := range req.GetUpdate() {
		ops = append(ops, tree.Op{Kind: tree.Update, Path: u.GetPath().GetElem(), Value: u.GetVal()})
	}
	return ops
}

func (s *Store) viewCandidate(element, cand string, fn func(ygot.GoStruct, *tree.Schema) error) error {
	s.mu.RLock()
	c, ok := s.candidates[cand]
	s.mu.RUnlock()
	if !ok {
		// A candidate that does not exist yet reads as running: it is
		// created by its first write.
		return s.View(element, fn)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	ce, ok := c.elements[element]
	if !ok {
		return s.View(element, fn)
	}
	return fn(ce.root, s.Schema(element))
}

// Discard throws candidate name away. Its records leave the disk while it
// is still the open candidate of that name, locked: a write arriving
// meanwhile waits for it, then opens a new candidate whose records
// nothing deletes.
func (s *Store) Discard(name string) error {
	s.mu.RLock()
	c, ok := s.candidates[name]
	s.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%w: no candidate %q", ErrNotFound, name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return fmt.Errorf("%w: no candidate %q", ErrNotFound, name)
	}
	err := s.journal.writeWait([]write{delKey(candidateKey(name))})
	if err == nil {
		err = s.deletePrefix(candidateOpPrefix(name))
	}
	s.closeCandidate(c)
	return err
}

// CommitCandidate commits candidate name as one transaction over every
// element it touches, rebased on running when running moved underneath
// and the changes do not overlap; when they do, it fails with ErrConflict
// naming the paths. With confirm, it is a confirmed commit.
func (s *Store) CommitCandidate(ctx context.Context, name, user, message string, confirm *ConfirmOptions, opts ...CommitOption) (Result, error) {
	if err := s.usable(); err != nil {
		return Result{}, err
	}
	s.mu.RLock()
	c, ok := s.candidates[name]
	s.mu.RUnlock()
	if !ok {
		return Result{}, fmt.Errorf("%w: no candidate %q", ErrNotFound, name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return Result{}, fmt.Errorf("%w: no candidate %q", ErrNotFound, name)
	}
	parts := map[string][]tree.Op{}
	for e, ce := range c.elements {
		parts[e] = ce.ops
	}
	if message == "" {
		message = "commit candidate " + name
	}
	spec := commitSpec{
		user: user, message: message, candidate: name, confirm: confirm, parts: parts,
		check: func(locked map[string]*lockedTarget) error { return s.checkRebase(c, locked) },
		extra: []write{delKey(candidateKey(name))},
	}
	for _, o := range opts {
		o(&spec)
	}
	res, err := s.commit(ctx, spec)
	if err != nil {
		return res, err
	}
	// Its records go before it closes, as in Discard.
	if err := s.deletePrefix(candidateOpPrefix(name)); err != nil {
		s.log.Warn("cleaning up committed candidate", "candidate", name, "err", err)
	}
	s.closeCandidate(c)
	return res, nil
}

// checkRebase fails when a commit made to running since the candidate
// copied an element changed a leaf the candidate also changed, or one
// inside a subtree the candidate replaced or deleted. locked holds the
// elements' running trees, locked by the commit.
func (s *Store) checkRebase(c *candidate, locked map[string]*lockedTarget) error {
	s.pruneMu.RLock()
	defer s.pruneMu.RUnlock()
	var conflicts []string
	for e, ce := range c.elements {
		if lt := locked[e]; lt != nil && lt.t.version <= ce.base {
			continue // running has not moved since the candidate copied it
		}
		if floor := s.hist.floor.Load(); ce.base < floor {
			return fmt.Errorf("%w: candidate %s copied %s at commit %d, and the commits since are no longer all in the history "+
				"(it keeps the newest %d; the oldest kept is %d), so it cannot be rebased: discard it and start again",
				ErrConflict, c.hdr.Name, e, ce.base, s.opts.HistoryCommits, floor+1)
		}
		for _, h := range s.hist.after(ce.base) {
			if !h.applied() || !h.touches(e) || h.Chunks == 0 {
				continue
			}
			changes, err := s.readBody(h)
			if err != nil {
				return err
			}
			for _, tc := range changes {
				if tc.Target != e {
					continue
				}
				for _, p := range append(leafPaths(tc.New.GetUpdate()), tc.New.GetDelete()...) {
					k := tree.FormatPath(p.GetElem())
					if ce.changed[k] || under(k, ce.covered) || contains(ce.covered, k) {
						conflicts = append(conflicts, fmt.Sprintf("%s:%s (commit %d)", e, k, h.ID))
					}
				}
			}
		}
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		if len(conflicts) > 20 {
			conflicts = append(conflicts[:20], fmt.Sprintf("and %d more", len(conflicts)-20))
		}
		return fmt.Errorf("%w: candidate %s overlaps changes committed since it was started: %s",
			ErrConflict, c.hdr.Name, strings.Join(conflicts, ", "))
	}
	return nil
}

func leafPaths(us []*gpb.Update) []*gpb.Path {
	out := make([]*gpb.Path, len(us))
	for i, u := range us {
		out[i] = u.GetPath()
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CandidateDiff returns what committing candidate name would change on
// running now: for each element it touches, in name order, its writes
// replayed on a copy of running, as a commit would replay them.
func (s *Store) CandidateDiff(name string) ([]TargetChange, error) {
	s.mu.RLock()
	c, ok := s.candidates[name]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: no candidate %q", ErrNotFound, name)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gone {
		return nil, fmt.Errorf("%w: no candidate %q", ErrNotFound, name)
	}
	elements := make([]string, 0, len(c.elements))
	for e := range c.elements {
		elements = append(elements, e)
	}
	sort.Strings(elements)
	now := s.opts.Now().UnixNano()
	var out []TargetChange
	for _, e := range elements {
		t, err := s.lookup(e)
		if err != nil {
			return nil, err
		}
		t.mu.RLock()
		root, err := ygot.DeepCopy(t.root)
		t.mu.RUnlock()
		if err != nil {
			return nil, err
		}
		edit := t.model.Schema.NewEdit(root)
		for i, op := range c.elements[e].ops {
			if err := edit.Apply(op); err != nil {
				return nil, &OpError{Index: i, Err: targetErr(e+"@"+name, op, err)}
			}
		}
		changes := edit.Changes()
		if len(changes) == 0 {
			continue
		}
		tc, err := toTargetChange(e, now, changes)
		if err != nil {
			return nil, err
		}
		out = append(out, tc)
	}
	return out, nil
}
