package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/nwmo/nwmo/datastore"
)

// fixture is a server over an in-memory datastore, served on a loopback
// port, with a Go gNMI client.
type fixture struct {
	store *datastore.Store
	srv   *Server
	addr  string
	c     gpb.GNMIClient
}

// testLogger sends slog records to t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func newFixture(t testing.TB, opts ...Option) *fixture {
	t.Helper()
	return newFixtureStore(t, datastore.DefaultOptions("").WithInMemory(true), opts...)
}

func newFixtureStore(t testing.TB, dopts datastore.Options, opts ...Option) *fixture {
	t.Helper()
	store, err := datastore.Open(dopts)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(store, append([]Option{WithLogger(testLogger(t))}, opts...)...)
	g := grpc.NewServer(srv.GRPCOptions()...)
	srv.Register(g)
	srv.RegisterAdmin(g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30), grpc.MaxCallSendMsgSize(1<<30)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Close()
		g.Stop()
		if err := store.Close(); err != nil {
			t.Errorf("closing the datastore: %v", err)
		}
	})
	return &fixture{store: store, srv: srv, addr: lis.Addr().String(), c: gpb.NewGNMIClient(conn)}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// path parses a gNMI path string such as /a/b[k=v]/c.
func path(t testing.TB, s string) *gpb.Path {
	t.Helper()
	p, err := ygot.StringToStructuredPath(s)
	if err != nil {
		t.Fatalf("path %q: %v", s, err)
	}
	return p
}

func jsonVal(t testing.TB, v any) *gpb.TypedValue {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: b}}
}

func jsonRaw(s string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(s)}}
}

func strVal(s string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: s}}
}

func uintVal(v uint64) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: v}}
}

// addElement puts an element (adapter none: nothing is pushed) in the
// inventory with a Set on target nwmo.
func (f *fixture) addElement(t testing.TB, name string) {
	t.Helper()
	_, err := f.c.Set(ctxT(t), &gpb.SetRequest{
		Update: []*gpb.Update{{
			Path: path(t, "/targets/target[name="+name+"]/config"),
			Val:  jsonVal(t, map[string]string{"name": name, "address": "127.0.0.1:1", "adapter": "none"}),
		}},
	})
	if err != nil {
		t.Fatalf("adding element %s: %v", name, err)
	}
}

// set runs a SetRequest on target and fails t on error.
func (f *fixture) set(t testing.TB, target string, req *gpb.SetRequest) *gpb.SetResponse {
	t.Helper()
	if target != "" {
		req.Prefix = &gpb.Path{Target: target}
	}
	resp, err := f.c.Set(ctxT(t), req)
	if err != nil {
		t.Fatalf("Set %.300s: %v", prototext.Format(req), err)
	}
	return resp
}

// setIfaces configures interfaces eth0..eth(n-1) of target with an MTU
// and a description.
func (f *fixture) setIfaces(t testing.TB, target string, names ...string) {
	t.Helper()
	var ifs []any
	for _, n := range names {
		ifs = append(ifs, map[string]any{"name": n, "config": map[string]any{"name": n, "mtu": 1500, "description": "port " + n}})
	}
	f.set(t, target, &gpb.SetRequest{Update: []*gpb.Update{{
		Path: path(t, "/interfaces"),
		Val:  jsonVal(t, map[string]any{"openconfig-interfaces:interface": ifs}),
	}}})
}

// wantCode checks err's gRPC code.
func wantCode(t testing.TB, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Errorf("error %v: code %v, want %v", err, got, want)
	}
}

// ignoreTimestamps makes cmp ignore timestamps.
var ignoreTimestamps = protocmp.IgnoreFields(&gpb.Notification{}, "timestamp")

func diffProto(want, got any) string {
	return cmp.Diff(want, got, protocmp.Transform(), ignoreTimestamps)
}

// mustPath parses a gNMI path string, panicking on a bad one.
func mustPath(s string) *gpb.Path {
	p, err := ygot.StringToStructuredPath(s)
	if err != nil {
		panic(err)
	}
	return p
}
