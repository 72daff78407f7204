package datastore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/oc"
)

// testLogger routes the store's log to t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// openStore opens a durable store on real files in dir.
func openStore(t testing.TB, dir string, opts ...func(Options) Options) *Store {
	t.Helper()
	o := DefaultOptions(dir).WithLogger(testLogger(t))
	for _, f := range opts {
		o = f(o)
	}
	s, err := Open(o)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

func newStore(t testing.TB, opts ...func(Options) Options) *Store {
	t.Helper()
	s := openStore(t, t.TempDir(), opts...)
	t.Cleanup(func() { s.Close() })
	return s
}

// crash drops s as a crash would: without Close's final snapshots, so that
// reopening replays the log after each target's last snapshot. Background
// work (a snapshot under way, the pruner) finishes first.
func crash(s *Store) {
	s.closed.Store(true)
	close(s.stop)
	s.wg.Wait()
	s.journal.close()
	s.db.Close()
}

// path parses a gNMI path string.
func path(t testing.TB, p string) []*gpb.PathElem {
	t.Helper()
	gp, err := ygot.StringToStructuredPath(p)
	if err != nil {
		t.Fatalf("bad path %q: %v", p, err)
	}
	return gp.GetElem()
}

func jsonVal(s string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(s)}}
}

func uintVal(v uint64) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: v}}
}

func strVal(v string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: v}}
}

func update(t testing.TB, p string, v *gpb.TypedValue) tree.Op {
	return tree.Op{Kind: tree.Update, Path: path(t, p), Value: v}
}

func replace(t testing.TB, p string, v *gpb.TypedValue) tree.Op {
	return tree.Op{Kind: tree.Replace, Path: path(t, p), Value: v}
}

func del(t testing.TB, p string) tree.Op {
	return tree.Op{Kind: tree.Delete, Path: path(t, p)}
}

// addElements puts elements in the inventory, provisioned only.
func addElements(t testing.TB, s *Store, names ...string) {
	t.Helper()
	var ops []tree.Op
	for _, n := range names {
		ops = append(ops, update(t, fmt.Sprintf("/targets/target[name=%s]/config", n),
			jsonVal(fmt.Sprintf(`{"name":%q,"address":"127.0.0.1:1","adapter":"none"}`, n))))
	}
	if _, err := s.Set(context.Background(), Request{Target: ServerTarget, User: "test", Ops: ops}); err != nil {
		t.Fatalf("adding elements %v: %v", names, err)
	}
}

func mustSet(t testing.TB, s *Store, target string, ops ...tree.Op) Result {
	t.Helper()
	res, err := s.Set(context.Background(), Request{Target: target, User: "test", Ops: ops})
	if err != nil {
		t.Fatalf("Set(%s): %v", target, err)
	}
	return res
}

// device returns a deep copy of a target's running configuration.
func device(t testing.TB, s *Store, target string) *oc.Device {
	t.Helper()
	var d *oc.Device
	err := s.View(target, func(root ygot.GoStruct, _ *tree.Schema) error {
		c, err := ygot.DeepCopy(root)
		d = c.(*oc.Device)
		return err
	})
	if err != nil {
		t.Fatalf("View(%s): %v", target, err)
	}
	return d
}

func mtu(d *oc.Device, name string) uint16 {
	i := d.GetInterfaces().GetInterface(name)
	if i == nil || i.GetConfig() == nil {
		return 0
	}
	return i.GetConfig().GetMtu()
}

func interfacesJSON(n int, mtu int) string {
	var b strings.Builder
	b.WriteString(`{"interface":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"eth%d","config":{"name":"eth%d","mtu":%d,"description":"port %d","enabled":true,"type":"iana-if-type:ethernetCsmacd"}}`, i, i, mtu, i)
	}
	b.WriteString(`]}`)
	return b.String()
}
