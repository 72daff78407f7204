package datastore

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/tree"
)

// Benchmarks run on real Badger files with fsync on every commit, as
// nwmod does. Run them with `make bench`.

func benchStore(b *testing.B, dir string) *Store {
	s, err := Open(DefaultOptions(dir))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	addElements(b, s, "sim-0")
	return s
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkCommitSingleLeaf is one durable single-leaf commit at a time.
func BenchmarkCommitSingleLeaf(b *testing.B) {
	s := benchStore(b, b.TempDir())
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		_, err := s.Set(ctx, Request{Target: "sim-0", Ops: []tree.Op{
			update(b, "/interfaces/interface[name=eth0]/config/mtu", uintVal(uint64(1000+i%5000)))}})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	reportLatency(b, lat)
}

// BenchmarkCommitSingleLeaf16 is 16 concurrent writers on one element,
// each on its own leaf: they share fsyncs.
func BenchmarkCommitSingleLeaf16(b *testing.B) {
	s := benchStore(b, b.TempDir())
	ctx := context.Background()
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(16 / max(1, runtimeProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := n.Add(1)
		p := path(b, fmt.Sprintf("/interfaces/interface[name=eth%d]/config/mtu", w))
		var mine []time.Duration
		for i := 0; pb.Next(); i++ {
			start := time.Now()
			if _, err := s.Set(ctx, Request{Target: "sim-0", Ops: []tree.Op{{Kind: tree.Update, Path: p, Value: uintVal(uint64(1000 + i%5000))}}}); err != nil {
				b.Fatal(err)
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	reportLatency(b, lat)
}

// BenchmarkReplace10kInterfaces replaces /interfaces with 10,000
// interfaces in one commit, alternating two values so each is a change.
func BenchmarkReplace10kInterfaces(b *testing.B) {
	s := benchStore(b, b.TempDir())
	vals := []string{interfacesJSON(10_000, 1500), interfacesJSON(10_000, 9000)}
	b.SetBytes(int64(len(vals[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mustSet(b, s, "sim-0", replace(b, "/interfaces", jsonVal(vals[i%2])))
	}
}

// BenchmarkGet10kJSON encodes the whole 10,000-interface tree as
// JSON_IETF, as a Get of / does.
func BenchmarkGet10kJSON(b *testing.B) {
	s := benchStore(b, b.TempDir())
	mustSet(b, s, "sim-0", replace(b, "/interfaces", jsonVal(interfacesJSON(10_000, 1500))))
	var size int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := s.View("sim-0", func(root ygot.GoStruct, sc *tree.Schema) error {
			js, err := sc.AppendJSON(nil, sc.Root, reflect.ValueOf(root), "", true)
			size = len(js)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(size))
}

// BenchmarkRecovery reopens a store of NWMO_BENCH_ELEMENTS elements (100
// by default; the figure quoted in the docs uses 1,000) of 1,000
// interfaces each, from their snapshots.
func BenchmarkRecovery(b *testing.B) {
	elements := 100
	if v, err := strconv.Atoi(os.Getenv("NWMO_BENCH_ELEMENTS")); err == nil {
		elements = v
	}
	dir := b.TempDir()
	s, err := Open(DefaultOptions(dir))
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, elements)
	for i := range names {
		names[i] = fmt.Sprintf("el-%d", i)
	}
	for i := 0; i < elements; i += 100 {
		addElements(b, s, names[i:min(i+100, elements)]...)
	}
	val := jsonVal(interfacesJSON(1000, 1500))
	for _, n := range names {
		mustSet(b, s, n, replace(b, "/interfaces", val))
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := Open(DefaultOptions(dir))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got := len(s.Targets()); got != elements+1 {
			b.Fatalf("recovered %d targets, want %d", got, elements+1)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(elements), "elements")
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// BenchmarkHistoryMemory makes b.N single-leaf commits with 16 writers and
// reports the live heap after them, and how many commits the history
// holds: with the history bounded, both stay flat as b.N grows (compare
// -benchtime 200000x with 400000x). Most of the heap is Badger's
// memtables, which Badger bounds itself.
func BenchmarkHistoryMemory(b *testing.B) {
	s := benchStore(b, b.TempDir())
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(16 / max(1, runtimeProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		p := path(b, fmt.Sprintf("/interfaces/interface[name=eth%d]/config/mtu", n.Add(1)))
		for i := 0; pb.Next(); i++ {
			if _, err := s.Set(ctx, Request{Target: "sim-0", Ops: []tree.Op{{Kind: tree.Update, Path: p, Value: uintVal(uint64(1000 + i%5000))}}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(len(s.History(HistoryFilter{}))), "history")
}
