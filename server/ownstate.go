package server

import (
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/gen/nwmomodel"
)

// nwmo's own model holds configuration (the inventory, in the datastore
// like any target's) and state that nwmod keeps elsewhere: the commit
// history and the open candidates. That state is built into the tree on
// the fly, from the datastore, for each read that can reach it.

// ownParts says which built parts a read needs.
type ownParts struct{ commits, candidates bool }

// ownPartsFor returns the parts that paths (canonical) can reach.
func ownPartsFor(paths [][]*gpb.PathElem) ownParts {
	var p ownParts
	for _, elems := range paths {
		first := ""
		if len(elems) > 0 {
			first = elems[0].GetName()
		}
		switch first {
		case "", anyOne, anyLevel:
			return ownParts{commits: true, candidates: true}
		case "commits":
			p.commits = true
		case "candidates":
			p.candidates = true
		}
	}
	return p
}

// ownState builds the parts want asks for. It is called before taking
// the read lock of nwmo's tree, so that no datastore lock is taken under
// another.
func (s *Server) ownState(want ownParts) ownBuilt {
	var b ownBuilt
	if want.commits {
		b.commits = commitsState(s.store.History(datastore.HistoryFilter{}))
	}
	if want.candidates {
		b.candidates = candidatesState(s.store.Candidates())
	}
	return b
}

// ownBuilt is the state of nwmo's model built for one read.
type ownBuilt struct {
	commits    *nwmomodel.Nwmo_Commits
	candidates *nwmomodel.Nwmo_Candidates
}

// ownRoot returns nwmo's root as served: root, from the datastore (shared,
// not copied: use the result under its read locks), with the built state.
func ownRoot(root ygot.GoStruct, b *ownBuilt) ygot.GoStruct {
	r := *root.(*nwmomodel.Root)
	r.Commits, r.Candidates = b.commits, b.candidates
	return &r
}

var commitStatus = func() map[datastore.Status]nwmomodel.E_Nwmo_CommitStatus {
	m := map[datastore.Status]nwmomodel.E_Nwmo_CommitStatus{}
	for v, d := range nwmomodel.ΛEnum["E_Nwmo_CommitStatus"] {
		m[datastore.Status(d.Name)] = nwmomodel.E_Nwmo_CommitStatus(v)
	}
	return m
}()

// commitsState is /commits for a history.
func commitsState(hs []datastore.Header) *nwmomodel.Nwmo_Commits {
	if len(hs) == 0 {
		return nil
	}
	c := &nwmomodel.Nwmo_Commits{Commit: make(map[uint64]*nwmomodel.Nwmo_Commits_Commit, len(hs))}
	for _, h := range hs {
		id := h.ID
		st := &nwmomodel.Nwmo_Commits_Commit_State{
			Id:              ygot.Uint64(id),
			Time:            ygot.Uint64(uint64(h.Time)),
			User:            optString(h.User),
			Message:         optString(h.Message),
			Candidate:       optString(h.Candidate),
			Elements:        h.Targets,
			Status:          commitStatus[h.Status],
			Changes:         ygot.Uint32(uint32(h.Changes)),
			RollbackOf:      optUint64(h.RollbackOf),
			ConfirmDeadline: optUint64(uint64(h.ConfirmDeadline)),
		}
		c.Commit[id] = &nwmomodel.Nwmo_Commits_Commit{Id: ygot.Uint64(id), State: st}
	}
	return c
}

// candidatesState is /candidates for the open candidates.
func candidatesState(cs []datastore.CandidateInfo) *nwmomodel.Nwmo_Candidates {
	if len(cs) == 0 {
		return nil
	}
	c := &nwmomodel.Nwmo_Candidates{Candidate: make(map[string]*nwmomodel.Nwmo_Candidates_Candidate, len(cs))}
	for _, ci := range cs {
		c.Candidate[ci.Name] = &nwmomodel.Nwmo_Candidates_Candidate{
			Name: ygot.String(ci.Name),
			State: &nwmomodel.Nwmo_Candidates_Candidate_State{
				Name:         ygot.String(ci.Name),
				Owner:        optString(ci.Owner),
				Created:      ygot.Uint64(uint64(ci.Created)),
				LastModified: optUint64(uint64(ci.Modified)),
				Elements:     ci.Elements,
				BaseCommit:   ygot.Uint64(ci.Base),
				Edits:        ygot.Uint32(uint32(ci.Edits)),
			},
		}
	}
	return c
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optUint64(v uint64) *uint64 {
	if v == 0 {
		return nil
	}
	return &v
}
