package clients_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/nwmo/nwmo/clients"
	"github.com/nwmo/nwmo/clients/gnmi"
	"github.com/nwmo/nwmo/clients/sim"
	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/oc"
)

// testLogger routes a log to t.Log, from the given level up.
func testLogger(t testing.TB, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(&tlogWriter{t: t}, &slog.HandlerOptions{Level: level}))
}

type tlogWriter struct {
	mu sync.Mutex
	t  testing.TB
}

func (w *tlogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// env is a southbound under test: an in-memory datastore whose Pusher is
// a Manager, and simulated elements on real loopback ports.
type env struct {
	t     testing.TB
	fleet *sim.Fleet
	store *datastore.Store
	m     *clients.Manager
}

type envOpts struct {
	sims    int
	simOpts []sim.Option
	mgrOpts []clients.Option
	dial    []gnmi.Option
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	fleet, err := sim.Start("127.0.0.1:0", o.sims, append([]sim.Option{sim.WithStateInterval(0)}, o.simOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	m := clients.New(append([]clients.Option{
		clients.WithAdapter("gnmi", gnmi.Dialer(o.dial...)),
		clients.WithLogger(testLogger(t, slog.LevelWarn)),
		clients.WithBackoff(20*time.Millisecond, 200*time.Millisecond),
		clients.WithDriftInterval(500 * time.Millisecond),
	}, o.mgrOpts...)...)
	store, err := datastore.Open(datastore.DefaultOptions(t.TempDir()).WithInMemory(true).WithPusher(m).
		WithLogger(testLogger(t, slog.LevelWarn)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	t.Cleanup(func() { m.Close() })
	if err := m.Start(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, fleet: fleet, store: store, m: m}
}

// element is an inventory entry: config leaves by name.
type element map[string]string

// add puts elements in the inventory, each a name and its config leaves
// (address, timeout, initial-sync, ...), and waits until they are ready.
func (e *env) add(els map[string]element) {
	e.t.Helper()
	var ops []tree.Op
	for name, leaves := range els {
		ops = append(ops, leafOp(e.t, fmt.Sprintf("/targets/target[name=%s]/config/name", name), name))
		for k, v := range leaves {
			ops = append(ops, leafOp(e.t, fmt.Sprintf("/targets/target[name=%s]/config/%s", name, k), v))
		}
	}
	if _, err := e.store.Set(ctx(e.t), datastore.Request{Target: datastore.ServerTarget, User: "test", Ops: ops}); err != nil {
		e.t.Fatalf("adding elements: %v", err)
	}
}

// addSims puts the fleet's elements in the inventory with extra leaves,
// and waits until they are connected and in sync.
func (e *env) addSims(extra element) {
	e.t.Helper()
	els := map[string]element{}
	for _, s := range e.fleet.Elements() {
		leaves := element{"address": s.Addr()}
		for k, v := range extra {
			leaves[k] = v
		}
		els[s.Name()] = leaves
	}
	e.add(els)
	for name := range els {
		e.waitStatus(name, "connected and in sync", func(s clients.Status) bool { return s.Connected && s.InSync })
	}
}

func leafOp(t testing.TB, p, v string) tree.Op {
	t.Helper()
	gp, err := ygot.StringToStructuredPath(p)
	if err != nil {
		t.Fatal(err)
	}
	return tree.Op{Kind: tree.Update, Path: gp.GetElem(), Value: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: v}}}
}

// waitStatus waits until an element's status satisfies ok.
func (e *env) waitStatus(name, what string, ok func(clients.Status) bool) clients.Status {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s, found := e.m.Status(name)
		if found && ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("element %s not %s: status %+v", name, what, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// commit commits one candidate that sets ifc's mtu on every element.
func (e *env) commit(mtu uint64, elements ...string) error {
	e.t.Helper()
	cand := fmt.Sprintf("c%d", time.Now().UnixNano())
	for _, el := range elements {
		_, err := e.store.Set(ctx(e.t), datastore.Request{Target: el + "@" + cand, User: "test",
			Ops: []tree.Op{mtuOp(e.t, mtu)}})
		if err != nil {
			e.t.Fatalf("candidate edit of %s: %v", el, err)
		}
	}
	_, err := e.store.CommitCandidate(ctx(e.t), cand, "test", "set mtu", nil)
	if err != nil {
		if derr := e.store.Discard(cand); derr != nil {
			e.t.Fatalf("discarding candidate %s: %v", cand, derr)
		}
	}
	return err
}

func mtuOp(t testing.TB, mtu uint64) tree.Op {
	gp, err := ygot.StringToStructuredPath("/interfaces/interface[name=eth0]/config/mtu")
	if err != nil {
		t.Fatal(err)
	}
	return tree.Op{Kind: tree.Update, Path: gp.GetElem(), Value: &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: mtu}}}
}

// runningMTU is eth0's mtu in running.
func (e *env) runningMTU(name string) uint16 {
	e.t.Helper()
	var mtu uint16
	err := e.store.View(name, func(root ygot.GoStruct, _ *tree.Schema) error {
		mtu = root.(*oc.Device).GetInterfaces().GetInterface("eth0").GetConfig().GetMtu()
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return mtu
}

// elementMTU is eth0's mtu as a gNMI Get straight at the element says.
func elementMTU(t testing.TB, addr string) uint64 {
	t.Helper()
	c := dial(t, addr)
	resp, err := c.Get(ctx(t), &gpb.GetRequest{Path: []*gpb.Path{mustPath(t, "/interfaces/interface[name=eth0]/config/mtu")},
		Encoding: gpb.Encoding_PROTO})
	if err != nil {
		t.Fatalf("Get at %s: %v", addr, err)
	}
	return resp.GetNotification()[0].GetUpdate()[0].GetVal().GetUintVal()
}

func mustPath(t testing.TB, s string) *gpb.Path {
	t.Helper()
	p, err := ygot.StringToStructuredPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dial is a gNMI client of addr that waits for the element to be up.
func dial(t testing.TB, addr string) gpb.GNMIClient {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.WaitForReady(true)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return gpb.NewGNMIClient(conn)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}
