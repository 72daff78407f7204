package clients_test

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"

	"github.com/nwmo/nwmo/clients"
	"github.com/nwmo/nwmo/clients/gnmi"
	"github.com/nwmo/nwmo/clients/sim"
	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

// BenchmarkNetworkCommit commits one candidate that changes one leaf on
// each of N simulated elements, through the datastore and the southbound
// (two-phase, with the elements' confirmed commits), and reports the
// commit's latency percentiles. Elements are served over loopback TCP,
// and in memory for counts past what the process may open sockets for.
func BenchmarkNetworkCommit(b *testing.B) {
	for _, c := range []struct {
		transport string
		n         int
	}{{"tcp", 100}, {"tcp", 1000}, {"memory", 100}, {"memory", 1000}, {"memory", 10000}} {
		b.Run(fmt.Sprintf("%s/elements=%d", c.transport, c.n), func(b *testing.B) { benchCommit(b, c.n, c.transport == "memory") })
	}
}

func benchCommit(b *testing.B, n int, memory bool) {
	simOpts := []sim.Option{sim.WithInterfaces(0), sim.WithStateInterval(0)}
	listen := "127.0.0.1:0"
	if memory {
		simOpts = append(simOpts, sim.WithMemory())
		listen = "sim.mem:20000"
	}
	fleet, err := sim.Start(listen, n, simOpts...)
	if err != nil {
		b.Fatal(err)
	}
	defer fleet.Close()
	var dialOpts []gnmi.Option
	if memory {
		dialOpts = append(dialOpts, gnmi.WithDialOptions(grpc.WithContextDialer(fleet.Dial)))
	}
	m := clients.New(clients.WithAdapter("gnmi", gnmi.Dialer(dialOpts...)), clients.WithLogger(testLogger(b, slog.LevelError)))
	// On disk, as nwmod runs: commits are synced, as they are there.
	store, err := datastore.Open(datastore.DefaultOptions(b.TempDir()).WithPusher(m).
		WithLogger(testLogger(b, slog.LevelError)))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	defer m.Close()
	if err := m.Start(ctx(b), store); err != nil {
		b.Fatal(err)
	}

	// Running starts empty and is pushed: every element is in sync with
	// nothing configured.
	var ops []tree.Op
	names := make([]string, 0, n)
	for _, el := range fleet.Elements() {
		names = append(names, el.Name())
		for k, v := range map[string]string{"name": el.Name(), "address": el.Addr(), "initial-sync": "push"} {
			ops = append(ops, leafOp(b, fmt.Sprintf("/targets/target[name=%s]/config/%s", el.Name(), k), v))
		}
	}
	began := time.Now()
	if _, err := store.Set(ctx(b), datastore.Request{Target: datastore.ServerTarget, User: "bench", Ops: ops}); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for _, name := range names {
		for {
			s, _ := m.Status(name)
			if s.Connected && s.InSync {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s not connected and in sync: %+v", name, s)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.Logf("%d elements connected and in sync in %v", n, time.Since(began).Round(time.Millisecond))

	hostname := mustPath(b, "/system/config/hostname").GetElem()
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cand := fmt.Sprintf("bench%d", i)
		for _, name := range names {
			op := tree.Op{Kind: tree.Update, Path: hostname, Value: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: fmt.Sprintf("%s-%d", name, i)}}}
			if _, err := store.Set(ctx(b), datastore.Request{Target: name + "@" + cand, User: "bench", Ops: []tree.Op{op}}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		if _, err := store.CommitCandidate(ctx(b), cand, "bench", "", nil); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	pct := func(p float64) float64 {
		return float64(took[int(math.Ceil(p*float64(len(took))))-1].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
