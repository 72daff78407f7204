package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/gen/adminpb"
	"github.com/nwmo/nwmo/server/access"
	"github.com/nwmo/nwmo/server/audit"
)

// accessFile writes an access file whose users' passwords are their
// names, at bcrypt's lowest cost.
func accessFile(t testing.TB, dir, roles string, users map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("users:\n")
	for name, userRoles := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(name), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("  " + name + ": {password-hash: \"" + string(h) + "\", roles: [" + userRoles + "]}\n")
	}
	b.WriteString(roles)
	file := filepath.Join(dir, "access.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// as is a context whose RPCs carry user's credentials, as gnmic -u -p
// sends them.
func as(t testing.TB, user, password string) context.Context {
	return metadata.AppendToOutgoingContext(ctxT(t), "username", user, "password", password)
}

func readAudit(t testing.TB, name string) []audit.Record {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []audit.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// accessFixture is a server with an access file and an audit trail, and
// element sim-0 (configured by admin) in its inventory.
type accessFixture struct {
	*fixture
	trail     *audit.Trail
	auditFile string
}

func newAccessFixture(t *testing.T) *accessFixture {
	dir := t.TempDir()
	ctl, err := access.Open(accessFile(t, dir, `
roles:
  admin:
    - actions: [read, write, subscribe]
  viewer:
    - actions: [read, subscribe]
  interfaces:
    - targets: [sim-*]
      paths: [/interfaces]
      actions: [read, write, subscribe]
`, map[string]string{"admin": "admin", "noc": "viewer", "ops": "interfaces, viewer", "port": "interfaces"}))
	if err != nil {
		t.Fatal(err)
	}
	auditFile := filepath.Join(dir, "audit.log")
	trail, err := audit.Open(auditFile, 1<<30, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { trail.Close() })
	f := &accessFixture{fixture: newFixture(t, WithAccess(ctl), WithAudit(trail)), trail: trail, auditFile: auditFile}
	admin := as(t, "admin", "admin")
	if _, err := f.c.Set(admin, &gpb.SetRequest{Update: []*gpb.Update{{
		Path: path(t, "/targets/target[name=sim-0]/config"),
		Val:  jsonVal(t, map[string]string{"name": "sim-0", "address": "127.0.0.1:1", "adapter": "none"}),
	}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Set(admin, &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Update: []*gpb.Update{
		{Path: path(t, "/interfaces/interface[name=eth0]/config"), Val: jsonVal(t, map[string]any{"name": "eth0", "description": "uplink"})},
		{Path: path(t, "/system/config/hostname"), Val: strVal("r1")},
	}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// records closes the audit trail and reads it.
func (f *accessFixture) records(t *testing.T) []audit.Record {
	if err := f.trail.Close(); err != nil {
		t.Fatal(err)
	}
	return readAudit(t, f.auditFile)
}

func (f *accessFixture) description(t *testing.T) string {
	t.Helper()
	resp, err := f.c.Get(as(t, "admin", "admin"), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"},
		Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]/config/description")}, Encoding: gpb.Encoding_JSON_IETF})
	if err != nil {
		t.Fatal(err)
	}
	return string(resp.GetNotification()[0].GetUpdate()[0].GetVal().GetJsonIetfVal())
}

func wantStatus(t *testing.T, err error, c codes.Code, msg string) {
	t.Helper()
	if st := status.Convert(err); st.Code() != c || !strings.Contains(st.Message(), msg) {
		t.Errorf("error %v, want %v containing %q", err, c, msg)
	}
}

func TestAccessAuthentication(t *testing.T) {
	f := newAccessFixture(t)
	get := &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Encoding: gpb.Encoding_JSON_IETF}
	set := &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Update: []*gpb.Update{
		{Path: path(t, "/interfaces/interface[name=eth0]/config/description"), Val: strVal("x")}}}
	for _, c := range []struct {
		name string
		ctx  context.Context
		msg  string
	}{
		{"no credentials", ctxT(t), "no credentials"},
		{"wrong password", as(t, "ops", "nope"), "invalid username or password"},
		{"unknown user", as(t, "mallory", "mallory"), "invalid username or password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.c.Get(c.ctx, get)
			wantStatus(t, err, codes.Unauthenticated, c.msg)
			_, err = f.c.Set(c.ctx, set)
			wantStatus(t, err, codes.Unauthenticated, c.msg)
			_, err = f.c.Capabilities(c.ctx, &gpb.CapabilityRequest{})
			wantStatus(t, err, codes.Unauthenticated, c.msg)
			_, err = f.admin(t).History(c.ctx, &adminpb.HistoryRequest{})
			wantStatus(t, err, codes.Unauthenticated, c.msg)
			stream, err := f.c.Subscribe(c.ctx)
			if err == nil {
				_, err = stream.Recv()
			}
			wantStatus(t, err, codes.Unauthenticated, c.msg)
		})
	}
	if got := f.description(t); got != `"uplink"` {
		t.Errorf("description %s after refused Sets, want \"uplink\"", got)
	}
	// Right credentials, and the user is who the history records.
	if _, err := f.c.Set(as(t, "ops", "ops"), set); err != nil {
		t.Fatal(err)
	}
	if h := f.store.History(datastore.HistoryFilter{Limit: 1}); h[0].User != "ops" {
		t.Errorf("the commit is recorded as %q's, want ops's", h[0].User)
	}
	recs := f.records(t)
	var unauth []string
	for _, r := range recs {
		if r.Code == "Unauthenticated" {
			unauth = append(unauth, r.User+" "+r.RPC)
		}
	}
	// The three refusals of each of the five RPCs.
	if len(unauth) != 15 || !strings.Contains(strings.Join(unauth, ","), "mallory gnmi.Subscribe") {
		t.Errorf("audited refusals %q, want 15, mallory's Subscribe among them", unauth)
	}
}

func TestAccessAuthorization(t *testing.T) {
	f := newAccessFixture(t)
	descr := path(t, "/interfaces/interface[name=eth0]/config/description")
	ops, noc, port := as(t, "ops", "ops"), as(t, "noc", "noc"), as(t, "port", "port")
	sim0 := &gpb.Path{Target: "sim-0"}

	// A Set with one path the user may write and one they may not changes
	// nothing, and the refusal names the user, path and element.
	_, err := f.c.Set(ops, &gpb.SetRequest{Prefix: sim0, Update: []*gpb.Update{
		{Path: descr, Val: strVal("changed")},
		{Path: path(t, "/system/config/hostname"), Val: strVal("r2")},
	}})
	wantStatus(t, err, codes.PermissionDenied, "user ops may not write /system/config/hostname on sim-0")
	if got := f.description(t); got != `"uplink"` {
		t.Errorf("description %s after a refused Set, want \"uplink\"", got)
	}
	_, err = f.c.Set(noc, &gpb.SetRequest{Prefix: sim0, Update: []*gpb.Update{{Path: descr, Val: strVal("x")}}})
	wantStatus(t, err, codes.PermissionDenied, "user noc may not write /interfaces/interface[name=eth0]/config/description on sim-0")
	// The inventory is nwmo's: writing it takes a grant on target nwmo.
	_, err = f.c.Set(ops, &gpb.SetRequest{Delete: []*gpb.Path{path(t, "/targets/target[name=sim-0]")}})
	wantStatus(t, err, codes.PermissionDenied, "on nwmo")
	okSet, err := f.c.Set(ops, &gpb.SetRequest{Prefix: sim0, Update: []*gpb.Update{{Path: descr, Val: strVal("by ops")}}})
	if err != nil {
		t.Fatal(err)
	}

	// Reads: a request at / is refused to a user allowed /interfaces
	// only, rather than answered in part.
	_, err = f.c.Get(port, &gpb.GetRequest{Prefix: sim0, Encoding: gpb.Encoding_JSON_IETF})
	wantStatus(t, err, codes.PermissionDenied, "user port may not read / on sim-0")
	if _, err := f.c.Get(port, &gpb.GetRequest{Prefix: sim0, Path: []*gpb.Path{path(t, "/interfaces")}, Encoding: gpb.Encoding_JSON_IETF}); err != nil {
		t.Errorf("port reading /interfaces: %v", err)
	}
	if _, err := f.c.Get(noc, &gpb.GetRequest{Prefix: sim0, Encoding: gpb.Encoding_JSON_IETF}); err != nil {
		t.Errorf("noc reading /: %v", err)
	}
	stream, err := f.c.Subscribe(port)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Prefix: sim0, Mode: gpb.SubscriptionList_ONCE, Encoding: gpb.Encoding_JSON_IETF,
		Subscription: []*gpb.Subscription{{Path: path(t, "/interfaces")}, {Path: path(t, "/system")}},
	}}}); err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	wantStatus(t, err, codes.PermissionDenied, "user port may not subscribe /system on sim-0")
	_, err = f.admin(t).History(port, &adminpb.HistoryRequest{})
	wantStatus(t, err, codes.PermissionDenied, "user port may not read /commits on nwmo")
	// A target that is not managed: the answer lists only the targets
	// the user's rules name.
	_, err = f.c.Get(port, &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-9"}, Encoding: gpb.Encoding_JSON_IETF})
	wantStatus(t, err, codes.NotFound, `target "sim-9" is not managed; targets user port has rights on: sim-0`)
	_, err = f.c.Set(noc, &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-9"}, Update: []*gpb.Update{{Path: descr, Val: strVal("x")}}})
	wantStatus(t, err, codes.NotFound, "targets user noc has rights on: nwmo, sim-0")

	// Rollback and candidate commits are checked on what they change,
	// computed with the elements locked.
	a := f.admin(t)
	h, err := a.History(ops, &adminpb.HistoryRequest{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	opsCommit := h.GetCommits()[0].GetId()
	first := f.store.History(datastore.HistoryFilter{})[0].ID // admin's inventory commit
	_, err = a.Rollback(ops, &adminpb.RollbackRequest{Id: first})
	wantStatus(t, err, codes.PermissionDenied, "user ops may not write")
	_, err = a.GetCommit(port, &adminpb.GetCommitRequest{Id: opsCommit})
	wantStatus(t, err, codes.PermissionDenied, "may not read /commits")
	if _, err := a.Rollback(ops, &adminpb.RollbackRequest{Id: opsCommit - 1}); err != nil {
		t.Errorf("ops rolling back their own change: %v", err)
	}
	if got := f.description(t); got != `"uplink"` {
		t.Errorf("description %s after the rollback, want \"uplink\"", got)
	}

	if _, err := f.c.Set(ops, &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0@c1"},
		Update: []*gpb.Update{{Path: descr, Val: strVal("candidate")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Set(as(t, "admin", "admin"), &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0@c1"},
		Update: []*gpb.Update{{Path: path(t, "/system/config/hostname"), Val: strVal("r9")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = a.CommitCandidate(ops, &adminpb.CommitCandidateRequest{Name: "c1"})
	wantStatus(t, err, codes.PermissionDenied, "user ops may not write /system/config/hostname on sim-0")
	if _, ok := f.store.Candidate("c1"); !ok {
		t.Fatal("a refused candidate commit took the candidate away")
	}
	_, err = a.DiscardCandidate(port, &adminpb.DiscardCandidateRequest{Name: "c1"})
	wantStatus(t, err, codes.PermissionDenied, `candidate "c1" belongs to ops`)
	if _, err := a.CommitCandidate(as(t, "admin", "admin"), &adminpb.CommitCandidateRequest{Name: "c1"}); err != nil {
		t.Fatal(err)
	}
	if got := f.description(t); got != `"candidate"` {
		t.Errorf("description %s after the candidate commit, want \"candidate\"", got)
	}

	// An element the user's rules name nowhere gets the same answer, so
	// that its name is not confirmed to them; the audit trail records the
	// refusal. A user whose rules name it still reaches it.
	admin := as(t, "admin", "admin")
	if _, err := f.c.Set(admin, &gpb.SetRequest{Update: []*gpb.Update{{
		Path: path(t, "/targets/target[name=core-1]/config"),
		Val:  jsonVal(t, map[string]string{"name": "core-1", "address": "127.0.0.1:1", "adapter": "none"}),
	}}}); err != nil {
		t.Fatal(err)
	}
	core1 := &gpb.Path{Target: "core-1"}
	_, err = f.c.Get(port, &gpb.GetRequest{Prefix: core1, Path: []*gpb.Path{path(t, "/interfaces")}, Encoding: gpb.Encoding_JSON_IETF})
	wantStatus(t, err, codes.NotFound, `target "core-1" is not managed; targets user port has rights on: sim-0`)
	_, err = f.c.Set(port, &gpb.SetRequest{Prefix: &gpb.Path{Target: "core-1@c9"}, Update: []*gpb.Update{{Path: descr, Val: strVal("x")}}})
	wantStatus(t, err, codes.NotFound, `target "core-1" is not managed; targets user port has rights on: sim-0`)
	stream, err = f.c.Subscribe(port)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Prefix: core1, Mode: gpb.SubscriptionList_ONCE, Encoding: gpb.Encoding_JSON_IETF,
		Subscription: []*gpb.Subscription{{Path: path(t, "/interfaces")}},
	}}}); err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	wantStatus(t, err, codes.NotFound, `target "core-1" is not managed`)
	if _, err := f.c.Get(noc, &gpb.GetRequest{Prefix: core1, Encoding: gpb.Encoding_JSON_IETF}); err != nil {
		t.Errorf("noc, whose rules name every target, reading core-1: %v", err)
	}

	// The trail has every Set and admin change, allowed or not, with its
	// user, and the refused reads.
	got := map[string]int{}
	var okCommit uint64
	for _, r := range f.records(t) {
		got[r.User+" "+r.RPC+" "+r.Code]++
		if r.User == "ops" && r.RPC == "gnmi.Set" && r.Code == "OK" && r.Target == "sim-0" {
			okCommit = r.Commit
			if len(r.Ops) != 1 || r.Ops[0] != (audit.Op{Op: "update", Path: "/interfaces/interface[name=eth0]/config/description"}) {
				t.Errorf("ops's Set is recorded with ops %+v", r.Ops)
			}
		}
		if r.Peer != "127.0.0.1" {
			t.Errorf("record %+v: peer %q, want 127.0.0.1", r, r.Peer)
		}
	}
	for _, want := range []string{
		"ops gnmi.Set PermissionDenied", "noc gnmi.Set PermissionDenied", "ops gnmi.Set OK",
		"port gnmi.Get PermissionDenied", "port gnmi.Subscribe PermissionDenied", "port admin.History PermissionDenied",
		"ops admin.Rollback PermissionDenied", "ops admin.Rollback OK", "port admin.GetCommit PermissionDenied",
		"ops admin.CommitCandidate PermissionDenied", "port admin.DiscardCandidate PermissionDenied",
		"admin admin.CommitCandidate OK",
	} {
		if got[want] == 0 {
			t.Errorf("no audit record %q; have %v", want, got)
		}
	}
	if got["ops gnmi.Set PermissionDenied"] != 2 {
		t.Errorf("%d refused Sets of ops recorded, want 2", got["ops gnmi.Set PermissionDenied"])
	}
	// Of port's two Gets answered NotFound, only the one naming an
	// element hidden from them is a refusal; the other named no element.
	if got["port gnmi.Get NotFound"] != 1 || got["port gnmi.Subscribe NotFound"] != 1 || got["port gnmi.Set NotFound"] != 1 {
		t.Errorf("refusals of a hidden element recorded: Get %d, Subscribe %d, Set %d; want one each",
			got["port gnmi.Get NotFound"], got["port gnmi.Subscribe NotFound"], got["port gnmi.Set NotFound"])
	}
	if got["noc gnmi.Get OK"] != 0 {
		t.Error("an allowed Get is in the audit trail")
	}
	if okSet.GetTimestamp() == 0 || okCommit == 0 {
		t.Errorf("ops's Set is recorded with commit %d", okCommit)
	}
}

// A request is checked against the policy it was authenticated under from
// start to end: a reload meanwhile applies to the next request, never to
// part of one.
func TestAccessPolicyPinnedPerRequest(t *testing.T) {
	dir := t.TempDir()
	file := accessFile(t, dir, "roles:\n  all:\n    - actions: [read, write, subscribe]\n", map[string]string{"ops": "all"})
	ctl, err := access.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	srv := newFixture(t, WithAccess(ctl)).srv
	incoming := metadata.NewIncomingContext(ctxT(t), metadata.Pairs("username", "ops", "password", "ops"))
	ctx, err := srv.authenticate(incoming, "/gnmi.gNMI/Set")
	if err != nil {
		t.Fatal(err)
	}
	descr := path(t, "/interfaces/interface[name=eth0]/config/description").GetElem()
	// ops loses write while the request runs.
	accessFile(t, dir, "roles:\n  all:\n    - actions: [read, subscribe]\n", map[string]string{"ops": "all"})
	if err := ctl.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := srv.authorize(ctx, access.Write, "sim-0", descr); err != nil {
		t.Errorf("the request authenticated before the reload: %v, want the policy it began with", err)
	}
	next, err := srv.authenticate(incoming, "/gnmi.gNMI/Set")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.authorize(next, access.Write, "sim-0", descr); !errors.Is(err, errDenied) {
		t.Errorf("a request after the reload: %v, want it denied", err)
	}
}
