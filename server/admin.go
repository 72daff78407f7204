package server

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/adminpb"
	"github.com/nwmo/nwmo/server/access"
	"github.com/nwmo/nwmo/server/audit"
)

// admin is nwmod's admin service (gen/adminpb/admin.proto): the history,
// rollback, candidates and confirmed commits, for what gNMI cannot say
// well. It serves the same datastore as the gNMI service, with the same
// request deadlines, users and error codes.
type admin struct {
	adminpb.UnimplementedAdminServer
	s *Server
}

// RegisterAdmin registers the admin service on g.
func (s *Server) RegisterAdmin(g grpc.ServiceRegistrar) {
	adminpb.RegisterAdminServer(g, admin{s: s})
}

// The paths of nwmo's own model that the admin service's reads show.
var (
	commitsPath    = []*gpb.PathElem{{Name: "commits"}}
	candidatesPath = []*gpb.PathElem{{Name: "candidates"}}
)

func (a admin) History(ctx context.Context, req *adminpb.HistoryRequest) (*adminpb.HistoryResponse, error) {
	if err := a.read(ctx, "History", commitsPath); err != nil {
		return nil, err
	}
	f := datastore.HistoryFilter{Target: req.GetElement(), User: req.GetUser(), Limit: int(req.GetLimit())}
	if req.GetSince() != 0 {
		f.Since = time.Unix(0, req.GetSince())
	}
	if req.GetUntil() != 0 {
		f.Until = time.Unix(0, req.GetUntil())
	}
	hs := a.s.store.History(f)
	resp := &adminpb.HistoryResponse{Commits: make([]*adminpb.Commit, len(hs))}
	for i, h := range hs {
		resp.Commits[i] = commitMessage(h)
	}
	return resp, nil
}

// GetCommit shows a commit's values: its user must be allowed to read
// every leaf it changed.
func (a admin) GetCommit(ctx context.Context, req *adminpb.GetCommitRequest) (*adminpb.CommitDetail, error) {
	if err := a.read(ctx, "GetCommit", commitsPath); err != nil {
		return nil, err
	}
	h, changes, err := a.s.store.Commit(req.GetId())
	if err == nil {
		err = a.readChanges(ctx, "GetCommit", changes)
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &adminpb.CommitDetail{Commit: commitMessage(h), Changes: a.elementChanges(changes)}, nil
}

func (a admin) Rollback(ctx context.Context, req *adminpb.RollbackRequest) (*adminpb.CommitResult, error) {
	ctx, cancel := a.s.requestContext(ctx)
	defer cancel()
	return a.change(ctx, "Rollback", strconv.FormatUint(req.GetId(), 10), func() (datastore.Result, error) {
		return a.s.store.Rollback(ctx, req.GetId(), userOf(ctx), req.GetMessage(), a.s.permitted(ctx)...)
	})
}

func (a admin) ListCandidates(ctx context.Context, _ *adminpb.ListCandidatesRequest) (*adminpb.ListCandidatesResponse, error) {
	if err := a.read(ctx, "ListCandidates", candidatesPath); err != nil {
		return nil, err
	}
	cs := a.s.store.Candidates()
	resp := &adminpb.ListCandidatesResponse{Candidates: make([]*adminpb.Candidate, len(cs))}
	for i, c := range cs {
		resp.Candidates[i] = &adminpb.Candidate{Name: c.Name, Owner: c.Owner, Created: c.Created, LastModified: c.Modified,
			BaseCommit: c.Base, Elements: c.Elements, Edits: uint32(c.Edits)}
	}
	return resp, nil
}

// DiffCandidate shows values: its user must be allowed to read every leaf
// the candidate changes.
func (a admin) DiffCandidate(ctx context.Context, req *adminpb.DiffCandidateRequest) (*adminpb.DiffCandidateResponse, error) {
	if err := a.read(ctx, "DiffCandidate", candidatesPath); err != nil {
		return nil, err
	}
	changes, err := a.s.store.CandidateDiff(req.GetName())
	if err == nil {
		err = a.readChanges(ctx, "DiffCandidate", changes)
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &adminpb.DiffCandidateResponse{Changes: a.elementChanges(changes)}, nil
}

func (a admin) CommitCandidate(ctx context.Context, req *adminpb.CommitCandidateRequest) (*adminpb.CommitResult, error) {
	ctx, cancel := a.s.requestContext(ctx)
	defer cancel()
	return a.change(ctx, "CommitCandidate", req.GetName(), func() (datastore.Result, error) {
		if req.GetRollbackDurationNs() > math.MaxInt64 {
			return datastore.Result{}, badRequest("candidate %q: rollback duration %d ns is too long", req.GetName(), req.GetRollbackDurationNs())
		}
		var confirm *datastore.ConfirmOptions
		if req.GetConfirmId() != "" {
			confirm = &datastore.ConfirmOptions{ID: req.GetConfirmId(), Timeout: time.Duration(req.GetRollbackDurationNs())}
		} else if req.GetRollbackDurationNs() != 0 {
			return datastore.Result{}, badRequest("candidate %q: a rollback duration needs a confirm id", req.GetName())
		}
		return a.s.store.CommitCandidate(ctx, req.GetName(), userOf(ctx), req.GetMessage(), confirm, a.s.permitted(ctx)...)
	})
}

// DiscardCandidate throws a candidate away: its owner may, and so may a
// user allowed to write the whole of every element it touches.
func (a admin) DiscardCandidate(ctx context.Context, req *adminpb.DiscardCandidateRequest) (*adminpb.DiscardCandidateResponse, error) {
	_, err := a.change(ctx, "DiscardCandidate", req.GetName(), func() (datastore.Result, error) {
		if c, ok := a.s.store.Candidate(req.GetName()); ok && c.Owner != userOf(ctx) {
			for _, e := range c.Elements {
				if err := a.s.authorize(ctx, access.Write, e, nil); err != nil {
					return datastore.Result{}, fmt.Errorf("candidate %q belongs to %s: %w", c.Name, c.Owner, err)
				}
			}
		}
		return datastore.Result{}, a.s.store.Discard(req.GetName())
	})
	if err != nil {
		return nil, err
	}
	return &adminpb.DiscardCandidateResponse{}, nil
}

func (a admin) Confirm(ctx context.Context, req *adminpb.ConfirmRequest) (*adminpb.CommitResult, error) {
	ctx, cancel := a.s.requestContext(ctx)
	defer cancel()
	return a.change(ctx, "Confirm", req.GetId(), func() (datastore.Result, error) {
		if err := a.s.authorizePending(ctx, req.GetId()); err != nil {
			return datastore.Result{}, err
		}
		return a.s.store.Confirm(ctx, req.GetId())
	})
}

func (a admin) Cancel(ctx context.Context, req *adminpb.CancelRequest) (*adminpb.CommitResult, error) {
	ctx, cancel := a.s.requestContext(ctx)
	defer cancel()
	return a.change(ctx, "Cancel", req.GetId(), func() (datastore.Result, error) {
		if err := a.s.authorizePending(ctx, req.GetId()); err != nil {
			return datastore.Result{}, err
		}
		return a.s.store.Cancel(ctx, req.GetId())
	})
}

// change runs a change of the admin service and records it in the audit
// trail, with subject, what the request names.
func (a admin) change(ctx context.Context, rpc, subject string, do func() (datastore.Result, error)) (*adminpb.CommitResult, error) {
	res, err := do()
	a.s.auditRecord(ctx, &audit.Record{User: userOf(ctx), RPC: "admin." + rpc, Subject: subject, Commit: res.ID}, err)
	if err != nil {
		return nil, toStatus(err)
	}
	return &adminpb.CommitResult{Id: res.ID, Time: res.Time}, nil
}

// read checks that the request's user may read path of nwmo's own
// model; a refusal is recorded in the audit trail.
func (a admin) read(ctx context.Context, rpc string, path []*gpb.PathElem) error {
	err := a.s.authorize(ctx, access.Read, datastore.ServerTarget, path)
	a.s.auditDenied(ctx, "admin."+rpc, datastore.ServerTarget, err)
	return toStatus(err)
}

func (a admin) readChanges(ctx context.Context, rpc string, changes []datastore.TargetChange) error {
	err := a.s.authorizeChanges(ctx, access.Read, changes)
	a.s.auditDenied(ctx, "admin."+rpc, "", err)
	return err
}

func commitMessage(h datastore.Header) *adminpb.Commit {
	return &adminpb.Commit{Id: h.ID, Time: h.Time, User: h.User, Message: h.Message, Elements: h.Targets,
		Status: string(h.Status), Candidate: h.Candidate, RollbackOf: h.RollbackOf,
		ConfirmDeadline: h.ConfirmDeadline, Changes: uint32(h.Changes)}
}

// elementChanges turns changes (the new values and, as the inverse, the
// old ones) into leaves with their old and new values in JSON_IETF, in
// path order.
func (a admin) elementChanges(changes []datastore.TargetChange) []*adminpb.ElementChange {
	out := make([]*adminpb.ElementChange, 0, len(changes))
	for _, tc := range changes {
		sc := a.s.store.Schema(tc.Target)
		leaves := map[string]*adminpb.LeafChange{}
		leaf := func(p *gpb.Path) *adminpb.LeafChange {
			k := tree.FormatPath(p.GetElem())
			l := leaves[k]
			if l == nil {
				l = &adminpb.LeafChange{Path: k}
				leaves[k] = l
			}
			return l
		}
		text := func(p *gpb.Path, tv *gpb.TypedValue) *string {
			s := jsonText(sc, p.GetElem(), tv)
			return &s
		}
		for _, u := range tc.New.GetUpdate() {
			leaf(u.GetPath()).NewValue = text(u.GetPath(), u.GetVal())
		}
		for _, d := range tc.New.GetDelete() {
			leaf(d)
		}
		for _, u := range tc.Old.GetUpdate() {
			leaf(u.GetPath()).OldValue = text(u.GetPath(), u.GetVal())
		}
		ec := &adminpb.ElementChange{Element: tc.Target, Leaves: make([]*adminpb.LeafChange, 0, len(leaves))}
		for _, l := range leaves {
			ec.Leaves = append(ec.Leaves, l)
		}
		sort.Slice(ec.Leaves, func(i, j int) bool { return ec.Leaves[i].Path < ec.Leaves[j].Path })
		out = append(out, ec)
	}
	return out
}

// jsonText is a leaf's value as JSON_IETF text; should the schema not
// know the leaf (never expected: the value came out of it), the scalar's
// text.
func jsonText(sc *tree.Schema, path []*gpb.PathElem, tv *gpb.TypedValue) string {
	if sc != nil {
		if j, err := jsonOfTyped(sc, path, tv, gpb.Encoding_JSON_IETF); err == nil {
			return string(j.GetJsonIetfVal())
		}
	}
	return tv.String()
}
