package server

import (
	"context"
	"errors"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/grpc/codes"

	"github.com/nwmo/nwmo/datastore/tree"
)

// subClient is an open Subscribe RPC whose responses a goroutine reads.
type subClient struct {
	t      testing.TB
	stream gpb.GNMI_SubscribeClient
	cancel context.CancelFunc
	resp   chan *gpb.SubscribeResponse
	err    chan error // the RPC's end: io.EOF for OK
}

func (f *fixture) subscribe(t testing.TB, list *gpb.SubscriptionList) *subClient {
	t.Helper()
	return f.subscribeReq(t, &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: list}})
}

func (f *fixture) subscribeReq(t testing.TB, req *gpb.SubscribeRequest) *subClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := f.c.Subscribe(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := stream.Send(req); err != nil {
		cancel()
		t.Fatal(err)
	}
	sc := &subClient{t: t, stream: stream, cancel: cancel, resp: make(chan *gpb.SubscribeResponse, 1<<16), err: make(chan error, 1)}
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				sc.err <- err
				return
			}
			sc.resp <- r
		}
	}()
	t.Cleanup(cancel)
	return sc
}

// next returns the next response, failing t after a timeout or at the end
// of the RPC.
func (sc *subClient) next() *gpb.SubscribeResponse {
	sc.t.Helper()
	r, err := sc.nextOrEnd()
	if err != nil {
		sc.t.Fatalf("subscription ended: %v", err)
	}
	return r
}

// nextOrEnd returns the next response, or the error that ended the RPC
// (io.EOF for OK), failing t after a timeout.
func (sc *subClient) nextOrEnd() (*gpb.SubscribeResponse, error) {
	sc.t.Helper()
	select {
	case r := <-sc.resp:
		return r, nil
	default:
	}
	select {
	case r := <-sc.resp:
		return r, nil
	case err := <-sc.err:
		select {
		case r := <-sc.resp:
			sc.err <- err
			return r, nil
		default:
		}
		return nil, err
	case <-time.After(10 * time.Second):
		sc.t.Fatal("no response within 10s")
	}
	return nil, nil
}

// untilSync returns the notifications up to the sync_response.
func (sc *subClient) untilSync() []*gpb.Notification {
	sc.t.Helper()
	var ns []*gpb.Notification
	for {
		r := sc.next()
		if r.GetSyncResponse() {
			return ns
		}
		ns = append(ns, r.GetUpdate())
	}
}

// end waits for the end of the RPC and returns its error (nil for OK).
func (sc *subClient) end() error {
	sc.t.Helper()
	for {
		select {
		case r := <-sc.resp:
			sc.t.Errorf("unexpected response before the end: %v", r)
		case err := <-sc.err:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case <-time.After(10 * time.Second):
			sc.t.Fatal("the RPC did not end within 10s")
			return nil
		}
	}
}

// quiet checks that nothing arrives for d.
func (sc *subClient) quiet(d time.Duration) {
	sc.t.Helper()
	select {
	case r := <-sc.resp:
		sc.t.Errorf("unexpected response: %v", r)
	case err := <-sc.err:
		sc.t.Errorf("unexpected end: %v", err)
	case <-time.After(d):
	}
}

// leafEvents flattens notifications into "path=value" and "-path" strings,
// in order.
func leafEvents(t testing.TB, ns ...*gpb.Notification) []string {
	t.Helper()
	var out []string
	for _, n := range ns {
		for _, d := range n.GetDelete() {
			out = append(out, "-"+tree.FormatPath(append(append([]*gpb.PathElem{}, n.GetPrefix().GetElem()...), d.GetElem()...)))
		}
		for _, u := range n.GetUpdate() {
			p := tree.FormatPath(append(append([]*gpb.PathElem{}, n.GetPrefix().GetElem()...), u.GetPath().GetElem()...))
			out = append(out, p+"="+valueString(t, u.GetVal()))
		}
	}
	return out
}

func valueString(t testing.TB, tv *gpb.TypedValue) string {
	switch v := tv.GetValue().(type) {
	case *gpb.TypedValue_JsonVal:
		return string(v.JsonVal)
	case *gpb.TypedValue_JsonIetfVal:
		return string(v.JsonIetfVal)
	case *gpb.TypedValue_StringVal:
		return v.StringVal
	case *gpb.TypedValue_UintVal:
		return strconv.FormatUint(v.UintVal, 10)
	}
	return tv.String()
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func stream(target string, mode gpb.SubscriptionMode, paths ...string) *gpb.SubscriptionList {
	l := &gpb.SubscriptionList{Prefix: &gpb.Path{Target: target}, Mode: gpb.SubscriptionList_STREAM, Encoding: gpb.Encoding_PROTO}
	for _, p := range paths {
		l.Subscription = append(l.Subscription, &gpb.Subscription{Path: mustPath(p), Mode: mode})
	}
	return l
}

func TestSubscribeOnce(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0", "eth1")
	l := stream("sim-0", 0, "/interfaces/interface[name=*]/config/mtu", "/interfaces/interface[name=eth0]/config/mtu")
	l.Mode = gpb.SubscriptionList_ONCE
	sc := f.subscribe(t, l)
	got := leafEvents(t, sc.untilSync()...)
	want := []string{"/interfaces/interface[name=eth0]/config/mtu=1500", "/interfaces/interface[name=eth1]/config/mtu=1500"}
	if diff := cmp.Diff(want, sorted(got)); diff != "" {
		t.Errorf("ONCE leaves, overlapping paths sent once (-want +got):\n%s", diff)
	}
	if err := sc.end(); err != nil {
		t.Errorf("ONCE ended with %v, want OK", err)
	}

	t.Run("updates_only sends only sync_response", func(t *testing.T) {
		l.UpdatesOnly = true
		sc := f.subscribe(t, l)
		if ns := sc.untilSync(); len(ns) != 0 {
			t.Errorf("updates_only ONCE sent %v", ns)
		}
		if err := sc.end(); err != nil {
			t.Errorf("ended with %v", err)
		}
	})
	t.Run("target echoed iff set", func(t *testing.T) {
		for _, target := range []string{"", "nwmo"} {
			l := stream(target, 0, "/targets/target/config/name")
			l.Mode = gpb.SubscriptionList_ONCE
			ns := f.subscribe(t, l).untilSync()
			if len(ns) == 0 {
				t.Fatal("no notification")
			}
			if got := ns[0].GetPrefix().GetTarget(); got != target {
				t.Errorf("target %q: notification prefix target %q", target, got)
			}
		}
	})
	t.Run("encodings", func(t *testing.T) {
		for enc, want := range map[gpb.Encoding]string{
			gpb.Encoding_PROTO:     "/interfaces/interface[name=eth0]/config/description=port eth0",
			gpb.Encoding_JSON:      `/interfaces/interface[name=eth0]/config/description="port eth0"`,
			gpb.Encoding_JSON_IETF: `/interfaces/interface[name=eth0]/config/description="port eth0"`,
		} {
			l := stream("sim-0", 0, "/interfaces/interface[name=eth0]/config/description")
			l.Mode, l.Encoding = gpb.SubscriptionList_ONCE, enc
			got := leafEvents(t, f.subscribe(t, l).untilSync()...)
			if diff := cmp.Diff([]string{want}, got); diff != "" {
				t.Errorf("%v (-want +got):\n%s", enc, diff)
			}
		}
	})
}

func TestSubscribePoll(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	mtu := "/interfaces/interface[name=eth0]/config/mtu"
	l := stream("sim-0", 0, mtu)
	l.Mode = gpb.SubscriptionList_POLL
	sc := f.subscribe(t, l)
	if diff := cmp.Diff([]string{mtu + "=1500"}, leafEvents(t, sc.untilSync()...)); diff != "" {
		t.Errorf("initial (-want +got):\n%s", diff)
	}
	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(9000)}}})
	sc.quiet(200 * time.Millisecond)
	poll := &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Poll{Poll: &gpb.Poll{}}}
	for range 2 {
		if err := sc.stream.Send(poll); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{mtu + "=9000"}, leafEvents(t, sc.untilSync()...)); diff != "" {
			t.Errorf("poll (-want +got):\n%s", diff)
		}
	}
	// A second SubscriptionList is InvalidArgument.
	if err := sc.stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: l}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, sc.end(), codes.InvalidArgument)

	t.Run("updates_only", func(t *testing.T) {
		l.UpdatesOnly = true
		sc := f.subscribe(t, l)
		if ns := sc.untilSync(); len(ns) != 0 {
			t.Errorf("updates_only POLL sent %v first", ns)
		}
		if err := sc.stream.Send(poll); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{mtu + "=9000"}, leafEvents(t, sc.untilSync()...)); diff != "" {
			t.Errorf("poll (-want +got):\n%s", diff)
		}
		sc.stream.CloseSend()
		if err := sc.end(); err != nil {
			t.Errorf("closing the client side ended the RPC with %v, want OK", err)
		}
	})
}

func TestSubscribeErrors(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	with := func(mod func(l *gpb.SubscriptionList)) *gpb.SubscribeRequest {
		l := stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/interfaces")
		mod(l)
		return &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: l}}
	}
	for _, tc := range []struct {
		name string
		req  *gpb.SubscribeRequest
		code codes.Code
	}{
		{"first message a Poll", &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Poll{Poll: &gpb.Poll{}}}, codes.InvalidArgument},
		{"first message empty", &gpb.SubscribeRequest{}, codes.InvalidArgument},
		{"no subscription", with(func(l *gpb.SubscriptionList) { l.Subscription = nil }), codes.InvalidArgument},
		{"TARGET_DEFINED with a sample_interval", with(func(l *gpb.SubscriptionList) {
			l.Subscription[0].Mode, l.Subscription[0].SampleInterval = gpb.SubscriptionMode_TARGET_DEFINED, uint64(time.Second)
		}), codes.InvalidArgument},
		{"sample_interval below the minimum", with(func(l *gpb.SubscriptionList) {
			l.Subscription[0].Mode, l.Subscription[0].SampleInterval = gpb.SubscriptionMode_SAMPLE, uint64(time.Millisecond)
		}), codes.InvalidArgument},
		{"heartbeat below the minimum", with(func(l *gpb.SubscriptionList) { l.Subscription[0].HeartbeatInterval = uint64(time.Millisecond) }), codes.InvalidArgument},
		{"bad subscription mode", with(func(l *gpb.SubscriptionList) { l.Subscription[0].Mode = 7 }), codes.InvalidArgument},
		{"bad list mode", with(func(l *gpb.SubscriptionList) { l.Mode = 7 }), codes.InvalidArgument},
		{"unsupported encoding", with(func(l *gpb.SubscriptionList) { l.Encoding = gpb.Encoding_ASCII }), codes.Unimplemented},
		{"unknown target", with(func(l *gpb.SubscriptionList) { l.Prefix.Target = "sim-9" }), codes.NotFound},
		{"path not in the schema", with(func(l *gpb.SubscriptionList) { l.Subscription[0].Path = path(t, "/bogus") }), codes.NotFound},
		{"bad path", with(func(l *gpb.SubscriptionList) { l.Subscription[0].Path = &gpb.Path{Elem: []*gpb.PathElem{{}}} }), codes.InvalidArgument},
		{"ON_CHANGE on a candidate", with(func(l *gpb.SubscriptionList) { l.Prefix.Target = "sim-0@c1" }), codes.InvalidArgument},
		{"TARGET_DEFINED on a candidate", with(func(l *gpb.SubscriptionList) {
			l.Prefix.Target, l.Subscription[0].Mode = "sim-0@c1", gpb.SubscriptionMode_TARGET_DEFINED
		}), codes.InvalidArgument},
		{"unknown model", with(func(l *gpb.SubscriptionList) { l.UseModels = []*gpb.ModelData{{Name: "acme"}} }), codes.InvalidArgument},
		{"History extension", func() *gpb.SubscribeRequest {
			r := with(func(*gpb.SubscriptionList) {})
			r.Extension = []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_History{History: &gnmi_ext.History{}}}}
			return r
		}(), codes.Unimplemented},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, f.subscribeReq(t, tc.req).end(), tc.code)
		})
	}

	t.Run("a second SubscriptionList on a STREAM", func(t *testing.T) {
		sc := f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/interfaces"))
		sc.untilSync()
		sc.stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: stream("sim-0", 0, "/system")}})
		wantCode(t, sc.end(), codes.InvalidArgument)
	})
	t.Run("a Poll on a STREAM", func(t *testing.T) {
		sc := f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/interfaces"))
		sc.untilSync()
		sc.stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Poll{Poll: &gpb.Poll{}}})
		wantCode(t, sc.end(), codes.InvalidArgument)
	})
}

func TestSubscribeOnChange(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	mtu0 := "/interfaces/interface[name=eth0]/config/mtu"

	for _, mode := range []gpb.SubscriptionMode{gpb.SubscriptionMode_ON_CHANGE, gpb.SubscriptionMode_TARGET_DEFINED} {
		t.Run(mode.String(), func(t *testing.T) {
			f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu0), Val: uintVal(1500)}},
				Delete: []*gpb.Path{path(t, "/system")}})
			sc := f.subscribe(t, stream("sim-0", mode, "/interfaces/interface[name=*]/config", "/system/config/hostname"))
			if diff := cmp.Diff([]string{
				"/interfaces/interface[name=eth0]/config/description=port eth0",
				mtu0 + "=1500",
				"/interfaces/interface[name=eth0]/config/name=eth0",
			}, sorted(leafEvents(t, sc.untilSync()...))); diff != "" {
				t.Errorf("initial state (-want +got):\n%s", diff)
			}
			// A change, in one notification per commit.
			f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{
				{Path: path(t, mtu0), Val: uintVal(9000)},
				{Path: path(t, "/system/config/hostname"), Val: strVal(mode.String())},
				{Path: path(t, "/system/config/domain-name"), Val: strVal("example.net")}, // not subscribed
			}})
			n := sc.next().GetUpdate()
			if diff := cmp.Diff([]string{mtu0 + "=9000", "/system/config/hostname=" + mode.String()}, sorted(leafEvents(t, n))); diff != "" {
				t.Errorf("change (-want +got):\n%s", diff)
			}
			// A new path that did not exist at subscription time.
			f.setIfaces(t, "sim-0", "eth1")
			if got := sorted(leafEvents(t, sc.next().GetUpdate())); len(got) != 3 || !strings.HasPrefix(got[0], "/interfaces/interface[name=eth1]") {
				t.Errorf("new entry: %v", got)
			}
			// Deletes are explicit.
			f.set(t, "sim-0", &gpb.SetRequest{Delete: []*gpb.Path{path(t, "/interfaces/interface[name=eth1]")}})
			if diff := cmp.Diff([]string{
				"-/interfaces/interface[name=eth1]/config/description",
				"-/interfaces/interface[name=eth1]/config/mtu",
				"-/interfaces/interface[name=eth1]/config/name",
			}, sorted(leafEvents(t, sc.next().GetUpdate()))); diff != "" {
				t.Errorf("delete (-want +got):\n%s", diff)
			}
			// A Set that fails shows nothing.
			_, err := f.c.Set(ctxT(t), &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Update: []*gpb.Update{
				{Path: path(t, mtu0), Val: uintVal(1400)},
				{Path: path(t, "/interfaces/interface[name=eth0]/config/description"), Val: uintVal(3)},
			}})
			wantCode(t, err, codes.InvalidArgument)
			sc.quiet(200 * time.Millisecond)
			sc.cancel()
		})
	}

	t.Run("a change to a default value is an update", func(t *testing.T) {
		enabled := "/interfaces/interface[name=eth0]/config/enabled"
		sc := f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, enabled))
		sc.untilSync()
		// true is the schema's default for enabled.
		f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, enabled), Val: &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: true}}}}})
		n := sc.next().GetUpdate()
		if len(n.GetUpdate()) != 1 || len(n.GetDelete()) != 0 || !n.GetUpdate()[0].GetVal().GetBoolVal() {
			t.Errorf("got %v, want an update to true", n)
		}
	})
	t.Run("never aggregated, even when allowed", func(t *testing.T) {
		l := stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/interfaces/interface[name=eth0]/config")
		l.AllowAggregation = true
		l.Mode = gpb.SubscriptionList_ONCE
		for _, n := range f.subscribe(t, l).untilSync() {
			for _, u := range n.GetUpdate() {
				if f, err := leafField(f.srv.store.Schema("sim-0"), u.GetPath().GetElem()); err != nil || f.Kind != tree.Leaf {
					t.Errorf("update at %s is not a leaf", tree.FormatPath(u.GetPath().GetElem()))
				}
				if hasWildcard(u.GetPath().GetElem()) {
					t.Errorf("update path %s holds a wildcard", tree.FormatPath(u.GetPath().GetElem()))
				}
			}
		}
	})
	t.Run("a path that does not exist yet keeps the subscription", func(t *testing.T) {
		sc := f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/interfaces/interface[name=eth5]/config/mtu"))
		if ns := sc.untilSync(); len(ns) != 0 {
			t.Errorf("initial %v, want nothing", ns)
		}
		f.setIfaces(t, "sim-0", "eth5")
		if diff := cmp.Diff([]string{"/interfaces/interface[name=eth5]/config/mtu=1500"}, leafEvents(t, sc.next().GetUpdate())); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("updates_only", func(t *testing.T) {
		l := stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, mtu0)
		l.UpdatesOnly = true
		sc := f.subscribe(t, l)
		if r := sc.next(); !r.GetSyncResponse() {
			t.Fatalf("first response %v, want sync_response", r)
		}
		f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu0), Val: uintVal(1600)}}})
		if diff := cmp.Diff([]string{mtu0 + "=1600"}, leafEvents(t, sc.next().GetUpdate())); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("heartbeat resends", func(t *testing.T) {
		l := stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, mtu0)
		l.Subscription[0].HeartbeatInterval = uint64(MinSampleInterval)
		sc := f.subscribe(t, l)
		sc.untilSync()
		for range 2 {
			if diff := cmp.Diff([]string{mtu0 + "=1600"}, leafEvents(t, sc.next().GetUpdate())); diff != "" {
				t.Errorf("heartbeat (-want +got):\n%s", diff)
			}
		}
	})
	t.Run("several targets, one RPC each", func(t *testing.T) {
		f.addElement(t, "sim-1")
		a := f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/system"))
		b := f.subscribe(t, stream("sim-1", gpb.SubscriptionMode_ON_CHANGE, "/system"))
		a.untilSync()
		b.untilSync()
		f.set(t, "sim-1", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/system/config/hostname"), Val: strVal("b")}}})
		n := b.next().GetUpdate()
		if n.GetPrefix().GetTarget() != "sim-1" || len(n.GetUpdate()) != 1 {
			t.Errorf("sim-1 subscriber got %v", n)
		}
		a.quiet(100 * time.Millisecond)
	})
}

func TestSubscribeSample(t *testing.T) {
	f := newFixture(t, WithMinSampleInterval(20*time.Millisecond))
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0", "eth1")
	mtu0, mtu1 := "/interfaces/interface[name=eth0]/config/mtu", "/interfaces/interface[name=eth1]/config/mtu"

	t.Run("every sample sends every leaf", func(t *testing.T) {
		l := stream("sim-0", gpb.SubscriptionMode_SAMPLE, "/interfaces/interface/config/mtu")
		l.Subscription[0].SampleInterval = 0 // the fastest: 20ms
		sc := f.subscribe(t, l)
		want := []string{mtu0 + "=1500", mtu1 + "=1500"}
		if diff := cmp.Diff(want, sorted(leafEvents(t, sc.untilSync()...))); diff != "" {
			t.Errorf("initial (-want +got):\n%s", diff)
		}
		start := time.Now()
		for range 3 {
			if diff := cmp.Diff(want, sorted(leafEvents(t, sc.next().GetUpdate()))); diff != "" {
				t.Errorf("sample (-want +got):\n%s", diff)
			}
		}
		if d := time.Since(start); d < 40*time.Millisecond {
			t.Errorf("3 samples in %v, at a 20ms interval", d)
		}
	})
	t.Run("suppress_redundant per leaf, heartbeat overriding it", func(t *testing.T) {
		l := stream("sim-0", gpb.SubscriptionMode_SAMPLE, "/interfaces/interface/config/mtu")
		l.Subscription[0].SampleInterval = uint64(20 * time.Millisecond)
		l.Subscription[0].SuppressRedundant = true
		l.Subscription[0].HeartbeatInterval = uint64(time.Second)
		sc := f.subscribe(t, l)
		sc.untilSync()
		sc.quiet(100 * time.Millisecond)
		f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu1), Val: uintVal(9000)}}})
		if diff := cmp.Diff([]string{mtu1 + "=9000"}, leafEvents(t, sc.next().GetUpdate())); diff != "" {
			t.Errorf("only the changed leaf (-want +got):\n%s", diff)
		}
		f.set(t, "sim-0", &gpb.SetRequest{Delete: []*gpb.Path{path(t, mtu0)}})
		if diff := cmp.Diff([]string{"-" + mtu0}, leafEvents(t, sc.next().GetUpdate())); diff != "" {
			t.Errorf("a leaf gone (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{mtu1 + "=9000"}, leafEvents(t, sc.next().GetUpdate())); diff != "" {
			t.Errorf("heartbeat sends everything (-want +got):\n%s", diff)
		}
	})
	t.Run("updates_only waits for the first sample", func(t *testing.T) {
		l := stream("sim-0", gpb.SubscriptionMode_SAMPLE, mtu1)
		l.Subscription[0].SampleInterval = uint64(50 * time.Millisecond)
		l.UpdatesOnly = true
		sc := f.subscribe(t, l)
		if r := sc.next(); !r.GetSyncResponse() {
			t.Fatalf("first %v, want sync_response", r)
		}
		if diff := cmp.Diff([]string{mtu1 + "=9000"}, leafEvents(t, sc.next().GetUpdate())); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a candidate", func(t *testing.T) {
		f.set(t, "sim-0@c1", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu1), Val: uintVal(1280)}}})
		l := stream("sim-0@c1", gpb.SubscriptionMode_SAMPLE, mtu1)
		l.Subscription[0].SuppressRedundant = true
		sc := f.subscribe(t, l)
		if diff := cmp.Diff([]string{mtu1 + "=1280"}, leafEvents(t, sc.untilSync()...)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		f.set(t, "sim-0@c1", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu1), Val: uintVal(1300)}}})
		if diff := cmp.Diff([]string{mtu1 + "=1300"}, leafEvents(t, sc.next().GetUpdate())); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestSubscribeMixedModes(t *testing.T) {
	f := newFixture(t, WithMinSampleInterval(20*time.Millisecond))
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	mtu0 := "/interfaces/interface[name=eth0]/config/mtu"
	l := stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, mtu0, "/system/config/hostname")
	l.Subscription[1].Mode = gpb.SubscriptionMode_SAMPLE
	l.Subscription[1].SampleInterval = uint64(20 * time.Millisecond)
	l.Subscription[1].SuppressRedundant = true
	sc := f.subscribe(t, l)
	sc.untilSync()
	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu0), Val: uintVal(1400)}, {Path: path(t, "/system/config/hostname"), Val: strVal("h")}}})
	// The commit before the subscription may come again after the sync
	// (see session.stream): what counts is that both changes come, and
	// in order.
	want := []string{mtu0 + "=1400", "/system/config/hostname=h"}
	var got []string
	for !slices.Contains(got, want[0]) || !slices.Contains(got, want[1]) {
		got = append(got, leafEvents(t, sc.next().GetUpdate())...)
	}
	for i, ev := range got {
		if ev == mtu0+"=1500" && slices.Contains(got[:i], want[0]) {
			t.Errorf("the old mtu came after the new: %q", got)
		}
	}
}

func TestSubscribeLimits(t *testing.T) {
	f := newFixture(t, WithMaxSubscriptions(3, 2))
	f.addElement(t, "sim-0")
	var open []*subClient
	for range 2 {
		sc := f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/"))
		sc.untilSync()
		open = append(open, sc)
	}
	wantCode(t, f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/")).end(), codes.ResourceExhausted)
	open[0].cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		sc := f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/"))
		r, err := sc.nextOrEnd()
		if r.GetSyncResponse() {
			break
		}
		wantCode(t, err, codes.ResourceExhausted)
		if time.Now().After(deadline) {
			t.Fatal("a subscription ended is still counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The total: two open, one more from another client fits, then none.
	release, err := f.srv.limits.acquire("someone@10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.srv.limits.acquire("other@10.0.0.2")
	wantCode(t, toStatus(err), codes.ResourceExhausted)
	release()
	release() // releasing twice counts once
	if _, err := f.srv.limits.acquire("other@10.0.0.2"); err != nil {
		t.Errorf("after a release: %v", err)
	}
}

// TestSubscriptionsBeyondStreamWorkers holds every stream worker with a
// subscription, and more: the subscriptions past the workers still start,
// Sets and Gets still run, and every subscription sees the change.
func TestSubscriptionsBeyondStreamWorkers(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	mtu := "/interfaces/interface[name=eth0]/config/mtu"
	subs := make([]*subClient, StreamWorkers+8)
	for i := range subs {
		subs[i] = f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, mtu))
	}
	for _, sc := range subs {
		sc.untilSync()
	}
	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(9100)}}})
	got, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Path: []*gpb.Path{path(t, mtu)}, Encoding: gpb.Encoding_JSON_IETF})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{mtu + "=9100"}, leafEvents(t, got.GetNotification()...)); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	for i, sc := range subs {
		if diff := cmp.Diff([]string{mtu + "=9100"}, leafEvents(t, sc.next().GetUpdate())); diff != "" {
			t.Errorf("subscription %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestSubscribeResync(t *testing.T) {
	// A queue of 2 leaves: a commit of 3 overflows it.
	f := newFixture(t, WithSubscriptionQueue(2))
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	sc := f.subscribe(t, stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, "/interfaces/interface[name=*]/config"))
	sc.untilSync()
	// One commit of 6 leaves: 3 deleted, 3 new.
	f.set(t, "sim-0", &gpb.SetRequest{
		Delete: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]")},
		Update: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=eth1]"),
			Val: jsonVal(t, map[string]any{"name": "eth1", "config": map[string]any{"name": "eth1", "mtu": 1500, "description": "port eth1"}})}},
	})
	var got []string
	for {
		got = append(got, leafEvents(t, sc.next().GetUpdate())...)
		if len(got) > 0 && got[0] == "-/interfaces" && len(got) >= 4 {
			break
		}
		if len(got) > 0 && got[0] != "-/interfaces" {
			t.Fatalf("got %v, want a resync: -/interfaces first", got)
		}
	}
	want := []string{"-/interfaces",
		"/interfaces/interface[name=eth1]/config/description=port eth1",
		"/interfaces/interface[name=eth1]/config/mtu=1500",
		"/interfaces/interface[name=eth1]/config/name=eth1"}
	if diff := cmp.Diff(want, got[:4]); diff != "" {
		t.Errorf("resync (-want +got):\n%s", diff)
	}
}

func TestSubscribeServerClose(t *testing.T) {
	f := newFixture(t)
	sc := f.subscribe(t, stream("", gpb.SubscriptionMode_ON_CHANGE, "/targets"))
	sc.untilSync()
	f.srv.Close()
	wantCode(t, sc.end(), codes.Unavailable)
}
