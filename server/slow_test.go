package server

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestSlowSubscribers runs commits with 90 ON_CHANGE subscribers that read,
// then with 10 more that never read: the commits must keep their latency,
// the readers must see every final value, and memory must stay bounded by
// the subscription queues. Times and memory are printed, not asserted.
func TestSlowSubscribers(t *testing.T) {
	const (
		readers, stalled = 90, 10
		ifaces           = 50
		commits          = 80
	)
	f := newFixture(t, WithSubscriptionQueue(10_000), WithMaxSubscriptions(1000, 1000))
	f.addElement(t, "sim-0")
	names := make([]string, ifaces)
	for i := range names {
		names[i] = fmt.Sprintf("eth%d", i)
	}
	f.setIfaces(t, "sim-0", names...)

	commit := func(mtu int) time.Duration {
		var ups []*gpb.Update
		for _, n := range names {
			ups = append(ups, &gpb.Update{Path: path(t, "/interfaces/interface[name="+n+"]/config/mtu"), Val: uintVal(uint64(mtu))})
		}
		start := time.Now()
		f.set(t, "sim-0", &gpb.SetRequest{Update: ups})
		return time.Since(start)
	}
	latencies := func(from, n int) []time.Duration {
		var ds []time.Duration
		for i := range n {
			ds = append(ds, commit(from+i))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	pct := func(ds []time.Duration, p int) time.Duration { return ds[len(ds)*p/100] }

	base := latencies(1000, 50)
	t.Logf("no subscribers: commit latency p50 %v p99 %v", pct(base, 50), pct(base, 99))
	heapBefore := heap()

	dial := func() gpb.GNMIClient {
		conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return gpb.NewGNMIClient(conn)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/interfaces")}}
	var wg sync.WaitGroup
	// Each reader keeps the last MTU it saw of every interface.
	type seen struct {
		mu   sync.Mutex
		last map[string]uint64
	}
	var all []*seen
	subscribe := func(read bool) {
		s, err := dial().Subscribe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(req); err != nil {
			t.Fatal(err)
		}
		if !read {
			return
		}
		r := &seen{last: map[string]uint64{}}
		all = append(all, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				resp, err := s.Recv()
				if err != nil {
					return
				}
				r.mu.Lock()
				for _, u := range resp.GetUpdate().GetUpdate() {
					e := u.GetPath().GetElem()
					if e[len(e)-1].GetName() == "mtu" {
						r.last[e[1].GetKey()["name"]] = u.GetVal().GetUintVal()
					}
				}
				r.mu.Unlock()
			}
		}()
	}
	waitReaders := func(v uint64) {
		deadline := time.Now().Add(60 * time.Second)
		for _, r := range all {
			for {
				r.mu.Lock()
				done := true
				for _, n := range names {
					done = done && r.last[n] == v
				}
				r.mu.Unlock()
				if done {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a reader did not get the final values within 60s")
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}

	for range readers {
		subscribe(true)
	}
	withReaders := latencies(2000, commits)
	waitReaders(2000 + commits - 1)
	heapReaders := heap()
	t.Logf("%d readers: commit latency p50 %v p99 %v; heap %d KiB", readers, pct(withReaders, 50), pct(withReaders, 99), heapReaders>>10)

	for range stalled {
		subscribe(false)
	}
	withStalled := latencies(3000, commits)
	waitReaders(3000 + commits - 1)
	heapStalled := heap()
	more := latencies(4000, commits)
	waitReaders(4000 + commits - 1)
	heapMore := heap()
	t.Logf("%d readers and %d stalled subscribers: commit latency p50 %v p99 %v, then p50 %v p99 %v",
		readers, stalled, pct(withStalled, 50), pct(withStalled, 99), pct(more, 50), pct(more, 99))
	// The heap is the process's: the clients' receive buffers, bounded
	// by HTTP/2 flow control, count too.
	t.Logf("heap in use: %d KiB without subscribers, %d KiB with readers, %d KiB with stalled subscribers after %d commits, %d KiB after %d more",
		heapBefore>>10, heapReaders>>10, heapStalled>>10, commits, heapMore>>10, commits)
	cancel()
	wg.Wait()
}
