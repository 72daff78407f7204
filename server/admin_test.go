package server

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/gen/adminpb"
)

func (f *fixture) admin(t testing.TB) adminpb.AdminClient {
	t.Helper()
	conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return adminpb.NewAdminClient(conn)
}

// leafChanges spells an element's change as "path: old -> new", with "-"
// for a value that is not there.
func leafChanges(ecs []*adminpb.ElementChange) map[string][]string {
	out := map[string][]string{}
	for _, ec := range ecs {
		for _, l := range ec.GetLeaves() {
			v := func(s *string) string {
				if s == nil {
					return "-"
				}
				return *s
			}
			out[ec.GetElement()] = append(out[ec.GetElement()], l.GetPath()+": "+v(l.OldValue)+" -> "+v(l.NewValue))
		}
	}
	return out
}

func TestAdminHistoryAndRollback(t *testing.T) {
	f := newFixture(t)
	a := f.admin(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	mtu, desc := "/interfaces/interface[name=eth0]/config/mtu", "/interfaces/interface[name=eth0]/config/description"
	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(9000)}}})
	base := f.store.LastID()
	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(9100)}},
		Delete: []*gpb.Path{path(t, desc)}})
	last := f.store.LastID()

	h, err := a.History(ctxT(t), &adminpb.HistoryRequest{Element: "sim-0", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.GetCommits()) != 2 || h.Commits[0].GetId() != base || h.Commits[1].GetId() != last ||
		h.Commits[1].GetStatus() != "committed" || h.Commits[1].GetUser() != "anonymous" || h.Commits[1].GetChanges() != 2 {
		t.Fatalf("History = %v", h)
	}
	if h, err := a.History(ctxT(t), &adminpb.HistoryRequest{Element: "sim-9"}); err != nil || len(h.GetCommits()) != 0 {
		t.Errorf("history of an element no commit touched: %v, %v", h, err)
	}

	c, err := a.GetCommit(ctxT(t), &adminpb.GetCommitRequest{Id: last})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"sim-0": {desc + `: "port eth0" -> -`, mtu + ": 9000 -> 9100"}}
	if diff := cmp.Diff(want, leafChanges(c.GetChanges())); diff != "" {
		t.Errorf("commit %d's change (-want +got):\n%s", last, diff)
	}
	_, err = a.GetCommit(ctxT(t), &adminpb.GetCommitRequest{Id: last + 100})
	wantCode(t, err, codes.NotFound)

	r, err := a.Rollback(ctxT(t), &adminpb.RollbackRequest{Id: base, Message: "back"})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetId() != last+1 {
		t.Errorf("rollback made commit %d, want %d", r.GetId(), last+1)
	}
	got := f.leaves(t, "sim-0", "/interfaces/interface[name=eth0]/config")
	if got[mtu] != float64(9000) || got[desc] != "port eth0" {
		t.Errorf("after rolling back to %d: %v", base, got)
	}
	rb, err := a.GetCommit(ctxT(t), &adminpb.GetCommitRequest{Id: r.GetId()})
	if err != nil || rb.GetCommit().GetRollbackOf() != base || rb.GetCommit().GetMessage() != "back" {
		t.Errorf("the rollback's header: %v, %v", rb.GetCommit(), err)
	}
	_, err = a.Rollback(ctxT(t), &adminpb.RollbackRequest{Id: last + 100})
	wantCode(t, err, codes.NotFound)
}

func TestAdminCandidates(t *testing.T) {
	f := newFixture(t)
	a := f.admin(t)
	f.addElement(t, "sim-0")
	f.addElement(t, "sim-1")
	f.setIfaces(t, "sim-0", "eth0")
	mtu, host := "/interfaces/interface[name=eth0]/config/mtu", "/system/config/hostname"
	f.set(t, "sim-0@c1", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(9000)}}})
	f.set(t, "sim-1@c1", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, host), Val: strVal("r1")}}})

	l, err := a.ListCandidates(ctxT(t), &adminpb.ListCandidatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantList := &adminpb.Candidate{Name: "c1", Owner: "anonymous", Elements: []string{"sim-0", "sim-1"}, Edits: 2, BaseCommit: f.store.LastID()}
	if len(l.GetCandidates()) != 1 {
		t.Fatalf("ListCandidates = %v", l)
	}
	got := proto.Clone(l.Candidates[0]).(*adminpb.Candidate)
	got.Created, got.LastModified = 0, 0
	if !proto.Equal(got, wantList) || l.Candidates[0].GetCreated() == 0 {
		t.Errorf("ListCandidates = %v, want %v", l.Candidates[0], wantList)
	}

	d, err := a.DiffCandidate(ctxT(t), &adminpb.DiffCandidateRequest{Name: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"sim-0": {mtu + ": 1500 -> 9000"}, "sim-1": {host + `: - -> "r1"`}}
	if diff := cmp.Diff(want, leafChanges(d.GetChanges())); diff != "" {
		t.Errorf("diff of c1 (-want +got):\n%s", diff)
	}
	res, err := a.CommitCandidate(ctxT(t), &adminpb.CommitCandidateRequest{Name: "c1", Message: "c1 in"})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.leaves(t, "sim-1", host)[host]; got != "r1" {
		t.Errorf("hostname after committing c1: %v", got)
	}
	if h, err := a.GetCommit(ctxT(t), &adminpb.GetCommitRequest{Id: res.GetId()}); err != nil ||
		h.GetCommit().GetCandidate() != "c1" || h.GetCommit().GetMessage() != "c1 in" {
		t.Errorf("the candidate's commit: %v, %v", h.GetCommit(), err)
	}
	_, err = a.DiffCandidate(ctxT(t), &adminpb.DiffCandidateRequest{Name: "c1"})
	wantCode(t, err, codes.NotFound)

	// Running moves underneath c2: its diff is against running now, its
	// commit conflicts, and it can be discarded.
	f.set(t, "sim-0@c2", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(1400)}}})
	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(1600)}}})
	d, err = a.DiffCandidate(ctxT(t), &adminpb.DiffCandidateRequest{Name: "c2"})
	if diff := cmp.Diff(map[string][]string{"sim-0": {mtu + ": 1600 -> 1400"}}, leafChanges(d.GetChanges())); err != nil || diff != "" {
		t.Errorf("diff of c2 after running moved: %v (-want +got):\n%s", err, diff)
	}
	_, err = a.CommitCandidate(ctxT(t), &adminpb.CommitCandidateRequest{Name: "c2"})
	wantCode(t, err, codes.Aborted)
	if _, err := a.DiscardCandidate(ctxT(t), &adminpb.DiscardCandidateRequest{Name: "c2"}); err != nil {
		t.Fatal(err)
	}
	if l, _ := a.ListCandidates(ctxT(t), &adminpb.ListCandidatesRequest{}); len(l.GetCandidates()) != 0 {
		t.Errorf("candidates after the discard: %v", l)
	}
	if got := f.leaves(t, "sim-0", mtu)[mtu]; got != float64(1600) {
		t.Errorf("mtu %v after discarding c2, want 1600", got)
	}
	_, err = a.DiscardCandidate(ctxT(t), &adminpb.DiscardCandidateRequest{Name: "c2"})
	wantCode(t, err, codes.NotFound)
	_, err = a.CommitCandidate(ctxT(t), &adminpb.CommitCandidateRequest{Name: "c2"})
	wantCode(t, err, codes.NotFound)
	f.set(t, "sim-0@c3", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(1400)}}})
	_, err = a.CommitCandidate(ctxT(t), &adminpb.CommitCandidateRequest{Name: "c3", RollbackDurationNs: uint64(time.Minute)})
	wantCode(t, err, codes.InvalidArgument)
	_, err = a.CommitCandidate(ctxT(t), &adminpb.CommitCandidateRequest{Name: "c3", ConfirmId: "x", RollbackDurationNs: 1 << 63})
	wantCode(t, err, codes.InvalidArgument)
	if _, ok := f.store.Pending(); ok {
		t.Error("a refused confirmed commit is pending")
	}
}

func TestAdminConfirmedCandidate(t *testing.T) {
	f := newFixture(t)
	a := f.admin(t)
	f.addElement(t, "sim-0")
	host := "/system/config/hostname"
	for i, end := range []string{"confirm", "cancel"} {
		name := []string{"c1", "c2"}[i]
		f.set(t, "sim-0@"+name, &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, host), Val: strVal(name)}}})
		res, err := a.CommitCandidate(ctxT(t), &adminpb.CommitCandidateRequest{Name: name, ConfirmId: "x" + name, RollbackDurationNs: uint64(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := a.GetCommit(ctxT(t), &adminpb.GetCommitRequest{Id: res.GetId()})
		if h.GetCommit().GetStatus() != "pending-confirm" {
			t.Errorf("%s: status %q, want pending-confirm", name, h.GetCommit().GetStatus())
		}
		_, err = a.Confirm(ctxT(t), &adminpb.ConfirmRequest{Id: "other"})
		wantCode(t, err, codes.InvalidArgument)
		if end == "confirm" {
			_, err = a.Confirm(ctxT(t), &adminpb.ConfirmRequest{Id: "x" + name})
		} else {
			_, err = a.Cancel(ctxT(t), &adminpb.CancelRequest{Id: "x" + name})
		}
		if err != nil {
			t.Fatal(err)
		}
		h, _ = a.GetCommit(ctxT(t), &adminpb.GetCommitRequest{Id: res.GetId()})
		wantStatus := map[string]string{"confirm": "committed", "cancel": "rolled-back"}[end]
		if h.GetCommit().GetStatus() != wantStatus {
			t.Errorf("after %s: status %q, want %q", end, h.GetCommit().GetStatus(), wantStatus)
		}
	}
	if got := f.leaves(t, "sim-0", host)[host]; got != "c1" {
		t.Errorf("hostname %v: c1 confirmed, c2 cancelled", got)
	}
	_, err := a.Confirm(ctxT(t), &adminpb.ConfirmRequest{Id: "xc1"})
	wantCode(t, err, codes.FailedPrecondition)
}
