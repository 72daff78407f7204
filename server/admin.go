package server

import (
	"context"
	"math"
	"sort"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/adminpb"
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

func (a admin) History(_ context.Context, req *adminpb.HistoryRequest) (*adminpb.HistoryResponse, error) {
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

func (a admin) GetCommit(_ context.Context, req *adminpb.GetCommitRequest) (*adminpb.CommitDetail, error) {
	h, changes, err := a.s.store.Commit(req.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &adminpb.CommitDetail{Commit: commitMessage(h), Changes: a.elementChanges(changes)}, nil
}

func (a admin) Rollback(ctx context.Context, req *adminpb.RollbackRequest) (*adminpb.CommitResult, error) {
	ctx, cancel := a.s.requestContext(ctx)
	defer cancel()
	res, err := a.s.store.Rollback(ctx, req.GetId(), a.s.opts.user(ctx), req.GetMessage())
	return commitResult(res, err)
}

func (a admin) ListCandidates(context.Context, *adminpb.ListCandidatesRequest) (*adminpb.ListCandidatesResponse, error) {
	cs := a.s.store.Candidates()
	resp := &adminpb.ListCandidatesResponse{Candidates: make([]*adminpb.Candidate, len(cs))}
	for i, c := range cs {
		resp.Candidates[i] = &adminpb.Candidate{Name: c.Name, Owner: c.Owner, Created: c.Created, LastModified: c.Modified,
			BaseCommit: c.Base, Elements: c.Elements, Edits: uint32(c.Edits)}
	}
	return resp, nil
}

func (a admin) DiffCandidate(_ context.Context, req *adminpb.DiffCandidateRequest) (*adminpb.DiffCandidateResponse, error) {
	changes, err := a.s.store.CandidateDiff(req.GetName())
	if err != nil {
		return nil, toStatus(err)
	}
	return &adminpb.DiffCandidateResponse{Changes: a.elementChanges(changes)}, nil
}

func (a admin) CommitCandidate(ctx context.Context, req *adminpb.CommitCandidateRequest) (*adminpb.CommitResult, error) {
	ctx, cancel := a.s.requestContext(ctx)
	defer cancel()
	if req.GetRollbackDurationNs() > math.MaxInt64 {
		return nil, toStatus(badRequest("candidate %q: rollback duration %d ns is too long", req.GetName(), req.GetRollbackDurationNs()))
	}
	var confirm *datastore.ConfirmOptions
	if req.GetConfirmId() != "" {
		confirm = &datastore.ConfirmOptions{ID: req.GetConfirmId(), Timeout: time.Duration(req.GetRollbackDurationNs())}
	} else if req.GetRollbackDurationNs() != 0 {
		return nil, toStatus(badRequest("candidate %q: a rollback duration needs a confirm id", req.GetName()))
	}
	res, err := a.s.store.CommitCandidate(ctx, req.GetName(), a.s.opts.user(ctx), req.GetMessage(), confirm)
	return commitResult(res, err)
}

func (a admin) DiscardCandidate(_ context.Context, req *adminpb.DiscardCandidateRequest) (*adminpb.DiscardCandidateResponse, error) {
	if err := a.s.store.Discard(req.GetName()); err != nil {
		return nil, toStatus(err)
	}
	return &adminpb.DiscardCandidateResponse{}, nil
}

func (a admin) Confirm(ctx context.Context, req *adminpb.ConfirmRequest) (*adminpb.CommitResult, error) {
	ctx, cancel := a.s.requestContext(ctx)
	defer cancel()
	return commitResult(a.s.store.Confirm(ctx, req.GetId()))
}

func (a admin) Cancel(ctx context.Context, req *adminpb.CancelRequest) (*adminpb.CommitResult, error) {
	ctx, cancel := a.s.requestContext(ctx)
	defer cancel()
	return commitResult(a.s.store.Cancel(ctx, req.GetId()))
}

func commitResult(res datastore.Result, err error) (*adminpb.CommitResult, error) {
	if err != nil {
		return nil, toStatus(err)
	}
	return &adminpb.CommitResult{Id: res.ID, Time: res.Time}, nil
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
