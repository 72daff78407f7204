package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/server/audit"
)

// Benchmarks of the gNMI server over loopback, with a durable datastore on
// disk. Run them with
//
//	go test -run '^$' -bench . -benchtime 5s ./server/
//
// BenchmarkSet and BenchmarkSetBaseline send the same requests, to nwmod
// and to a gNMI server whose Set returns at once: their ratio is what
// nwmo's transaction (validation, durable commit, feed) costs over gRPC.
// cpu-µs/set is the whole process's CPU time (clients included) per Set.

// benchFixture is a server over a datastore in b's temporary directory.
func benchFixture(b *testing.B, opts ...Option) *fixture {
	b.Helper()
	dopts := datastore.DefaultOptions(b.TempDir())
	store, err := datastore.Open(dopts)
	if err != nil {
		b.Fatal(err)
	}
	// nwmod always keeps an audit trail.
	trail, err := audit.Open(filepath.Join(b.TempDir(), "audit.log"), 100<<20, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	srv := New(store, append([]Option{WithAudit(trail)}, opts...)...)
	return serve(b, srv, func() {
		srv.Close()
		if err := trail.Close(); err != nil {
			b.Error(err)
		}
		if err := store.Close(); err != nil {
			b.Error(err)
		}
	}, store)
}

// serve runs a gNMI server on a loopback port; stop runs after it stops.
func serve(b *testing.B, g gpb.GNMIServer, stop func(), store *datastore.Store) *fixture {
	b.Helper()
	srv, isNwmo := g.(*Server)
	gopts := []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize)}
	if isNwmo {
		gopts = srv.GRPCOptions()
	}
	gs := grpc.NewServer(gopts...)
	gpb.RegisterGNMIServer(gs, g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go gs.Serve(lis)
	f := &fixture{store: store, addr: lis.Addr().String(), srv: srv}
	f.c = dialBench(b, f.addr)
	b.Cleanup(func() {
		gs.Stop()
		if stop != nil {
			stop()
		}
	})
	return f
}

func dialBench(b *testing.B, addr string, opts ...grpc.DialOption) gpb.GNMIClient {
	b.Helper()
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30), grpc.MaxCallSendMsgSize(1<<30))}, opts...)
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return gpb.NewGNMIClient(conn)
}

// nopServer is a gNMI server whose Set does nothing.
type nopServer struct {
	gpb.UnimplementedGNMIServer
}

func (nopServer) Set(context.Context, *gpb.SetRequest) (*gpb.SetResponse, error) {
	return &gpb.SetResponse{Timestamp: time.Now().UnixNano()}, nil
}

// runSets runs b.N Sets from clients goroutines, each on its own element
// and its own connection (dialled with dial), and reports latency
// percentiles and throughput.
func runSets(b *testing.B, f *fixture, clients int, dial ...grpc.DialOption) {
	conns := make([]gpb.GNMIClient, clients)
	for i := range conns {
		conns[i] = dialBench(b, f.addr, dial...)
	}
	lat := make([][]time.Duration, clients)
	var next sync.Mutex
	n := 0
	take := func() (int, bool) {
		next.Lock()
		defer next.Unlock()
		n++
		return n, n <= b.N
	}
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := fmt.Sprintf("sim-%d", c)
			for {
				i, ok := take()
				if !ok {
					return
				}
				req := &gpb.SetRequest{Prefix: &gpb.Path{Target: target}, Update: []*gpb.Update{{
					Path: mustPath("/interfaces/interface[name=eth0]/config/description"),
					Val:  strVal(fmt.Sprintf("change %d", i)),
				}}}
				t0 := time.Now()
				if _, err := conns[c].Set(context.Background(), req); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "sets/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(all)), "cpu-µs/set")
}

func BenchmarkSet(b *testing.B) {
	for _, bc := range setBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			f := benchFixture(b)
			for c := range bc.clients {
				f.addElement(b, fmt.Sprintf("sim-%d", c))
				f.setIfaces(b, fmt.Sprintf("sim-%d", c), "eth0")
			}
			runSets(b, f, bc.clients, bc.dial...)
		})
	}
}

func BenchmarkSetBaseline(b *testing.B) {
	for _, bc := range setBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			runSets(b, serve(b, nopServer{}, nil, nil), bc.clients, bc.dial...)
		})
	}
}

// setBenchCases are the clients of the Set benchmarks. A gRPC-Go client
// with its default settings (gnmic's) pings the server each time a
// response arrives, to estimate the bandwidth-delay product; a server
// that answers within the client's next write (the do-nothing one) acks
// in the same write as its answer, one that takes a durable commit's
// millisecond acks on its own, and each side then makes about one more
// write and one more read per Set. Clients with fixed flow-control
// windows do not ping: the fixed-window case measures what that costs.
var setBenchCases = []struct {
	name    string
	clients int
	dial    []grpc.DialOption
}{
	{"clients=1", 1, nil},
	{"clients=4", 4, nil},
	{"clients=16", 16, nil},
	{"clients=16,window=fixed", 16, []grpc.DialOption{
		grpc.WithInitialWindowSize(1 << 20), grpc.WithInitialConnWindowSize(1 << 20)}},
}

// BenchmarkGet10k gets a 10,000-interface configuration in JSON_IETF.
func BenchmarkGet10k(b *testing.B) {
	f := benchFixture(b)
	f.addElement(b, "sim-0")
	for i := 0; i < 10_000; i += 1000 {
		var names []string
		for j := i; j < i+1000; j++ {
			names = append(names, fmt.Sprintf("eth%d", j))
		}
		f.setIfaces(b, "sim-0", names...)
	}
	req := &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Path: []*gpb.Path{mustPath("/")}, Encoding: gpb.Encoding_JSON_IETF}
	var size int
	b.ResetTimer()
	for b.Loop() {
		resp, err := f.c.Get(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		size = len(resp.Notification[0].Update[0].GetVal().GetJsonIetfVal())
	}
	b.ReportMetric(float64(size)/1e6, "MB/response")
}

// rawCodec leaves responses undecoded, so that the delivery benchmark
// measures the server, not the client's decoding.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	if r, ok := v.(*rawMsg); ok {
		return r.b, nil
	}
	return proto.Marshal(v.(proto.Message))
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	if r, ok := v.(*rawMsg); ok {
		r.b = append(r.b[:0], data...)
		return nil
	}
	return proto.Unmarshal(data, v.(proto.Message))
}

func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

type rawMsg struct{ b []byte }

// countLeaves counts the updates and deletes of an encoded
// SubscribeResponse.
func countLeaves(b []byte) int {
	n := 0
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		b = b[l:]
		if num == 1 && typ == protowire.BytesType { // update: Notification
			v, l := protowire.ConsumeBytes(b)
			b = b[l:]
			for len(v) > 0 {
				num, typ, l := protowire.ConsumeTag(v)
				v = v[l:]
				if (num == 4 || num == 5) && typ == protowire.BytesType { // update, delete
					n++
				}
				v = v[protowire.ConsumeFieldValue(num, typ, v):]
			}
			continue
		}
		b = b[protowire.ConsumeFieldValue(num, typ, b):]
	}
	return n
}

// BenchmarkDelivery commits 1,000 changed leaves with 1,000 ON_CHANGE
// subscribers and waits until every subscriber has all of them; it reports
// the p99 of that time (from the Set) and the leaf updates delivered per
// second.
func BenchmarkDelivery(b *testing.B) {
	const subs, leaves = 1000, 1000
	f := benchFixture(b, WithMaxSubscriptions(2*subs, 2*subs))
	f.addElement(b, "sim-0")
	names := make([]string, leaves)
	for i := range names {
		names[i] = fmt.Sprintf("eth%d", i)
	}
	f.setIfaces(b, "sim-0", names...)

	// Subscribers share a few connections, as many clients behind one
	// collector do.
	var conns []grpc.ClientConnInterface
	for range 10 {
		conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30), grpc.ForceCodec(rawCodec{})))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close() })
		conns = append(conns, conn)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan int, subs*4)
	desc := &grpc.StreamDesc{StreamName: "Subscribe", ServerStreams: true, ClientStreams: true}
	list := stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/interfaces/interface/config/mtu")
	list.UpdatesOnly = true
	req := &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: list}}
	synced := make(chan struct{}, subs)
	for i := range subs {
		s, err := conns[i%len(conns)].NewStream(ctx, desc, "/gnmi.gNMI/Subscribe")
		if err != nil {
			b.Fatal(err)
		}
		if err := s.SendMsg(req); err != nil {
			b.Fatal(err)
		}
		go func() {
			var m rawMsg
			first := true
			for {
				if err := s.RecvMsg(&m); err != nil {
					return
				}
				if first {
					first = false
					synced <- struct{}{}
					continue
				}
				got <- countLeaves(m.b)
			}
		}()
	}
	for range subs {
		<-synced
	}

	var times, sets []time.Duration
	mtu := uint64(1000)
	b.ResetTimer()
	for b.Loop() {
		mtu++
		var ups []*gpb.Update
		for _, n := range names {
			ups = append(ups, &gpb.Update{Path: mustPath("/interfaces/interface[name=" + n + "]/config/mtu"), Val: uintVal(mtu)})
		}
		start := time.Now()
		if _, err := f.c.Set(ctx, &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Update: ups}); err != nil {
			b.Fatal(err)
		}
		sets = append(sets, time.Since(start))
		for n := 0; n < subs*leaves; {
			n += <-got
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	var total time.Duration
	for _, d := range times {
		total += d
	}
	b.ReportMetric(float64(times[len(times)*99/100].Milliseconds()), "p99-ms")
	sort.Slice(sets, func(i, j int) bool { return sets[i] < sets[j] })
	b.ReportMetric(float64(sets[len(sets)/2].Milliseconds()), "set-p50-ms")
	b.ReportMetric(float64(len(times)*subs*leaves)/total.Seconds(), "leaf-updates/s")
}
