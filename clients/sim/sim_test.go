package sim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

func startFleet(t *testing.T, count int, opts ...Option) *Fleet {
	t.Helper()
	f, err := Start("127.0.0.1:0", count, append([]Option{WithStateInterval(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func dial(t *testing.T, addr string) gpb.GNMIClient {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.WaitForReady(true)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return gpb.NewGNMIClient(conn)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func path(t *testing.T, s string) *gpb.Path {
	t.Helper()
	p, err := ygot.StringToStructuredPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func uint16Val(v uint64) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: v}}
}

// getUint reads one leaf with a PROTO Get.
func getUint(t *testing.T, c gpb.GNMIClient, p string) uint64 {
	t.Helper()
	resp, err := c.Get(ctx(t), &gpb.GetRequest{Path: []*gpb.Path{path(t, p)}, Encoding: gpb.Encoding_PROTO})
	if err != nil {
		t.Fatalf("Get %s: %v", p, err)
	}
	ups := resp.GetNotification()[0].GetUpdate()
	if len(ups) != 1 {
		t.Fatalf("Get %s: %d updates, want 1", p, len(ups))
	}
	return ups[0].GetVal().GetUintVal()
}

func setMTU(c gpb.GNMIClient, ctx context.Context, target string, mtu uint64, ext ...*gnmi_ext.Extension) error {
	_, err := c.Set(ctx, &gpb.SetRequest{
		Prefix:    &gpb.Path{Target: target},
		Update:    []*gpb.Update{{Path: &gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "eth0"}}, {Name: "config"}, {Name: "mtu"}}}, Val: uint16Val(mtu)}},
		Extension: ext,
	})
	return err
}

func commitExt(id string, action any) *gnmi_ext.Extension {
	c := &gnmi_ext.Commit{Id: id}
	switch a := action.(type) {
	case time.Duration:
		c.Action = &gnmi_ext.Commit_Commit{Commit: &gnmi_ext.CommitRequest{RollbackDuration: durationpb.New(a)}}
	case string:
		switch a {
		case "confirm":
			c.Action = &gnmi_ext.Commit_Confirm{Confirm: &gnmi_ext.CommitConfirm{}}
		case "cancel":
			c.Action = &gnmi_ext.Commit_Cancel{Cancel: &gnmi_ext.CommitCancel{}}
		}
	}
	return &gnmi_ext.Extension{Ext: &gnmi_ext.Extension_Commit{Commit: c}}
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("error %v, want code %v", err, code)
	}
}

func TestGetSetAndStateMirror(t *testing.T) {
	f := startFleet(t, 3)
	c := dial(t, f.Element("sim-1").Addr())
	if got := getUint(t, c, "/interfaces/interface[name=eth0]/config/mtu"); got != 1500 {
		t.Fatalf("initial mtu = %d, want 1500", got)
	}
	if err := setMTU(c, ctx(t), "sim-1", 9000); err != nil {
		t.Fatal(err)
	}
	if got := getUint(t, c, "/interfaces/interface[name=eth0]/state/mtu"); got != 9000 {
		t.Errorf("state/mtu after Set = %d, want 9000 (config mirrored into state)", got)
	}
	wantCode(t, setMTU(c, ctx(t), "sim-2", 9000), codes.NotFound)
	wantCode(t, setMTU(c, ctx(t), "", 70000), codes.InvalidArgument)
	_, err := c.Get(ctx(t), &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth9]")}})
	wantCode(t, err, codes.NotFound)

	resp, err := c.Get(ctx(t), &gpb.GetRequest{Path: []*gpb.Path{path(t, "/interfaces/interface[name=eth0]")},
		Type: gpb.GetRequest_CONFIG, Encoding: gpb.Encoding_JSON_IETF})
	if err != nil {
		t.Fatal(err)
	}
	js := string(resp.GetNotification()[0].GetUpdate()[0].GetVal().GetJsonIetfVal())
	if !strings.Contains(js, `"mtu":9000`) || strings.Contains(js, "oper-status") {
		t.Errorf("CONFIG Get JSON = %s, want config mtu 9000 and no state", js)
	}
}

func TestCommitConfirmed(t *testing.T) {
	f := startFleet(t, 1)
	c := dial(t, f.Element("sim-0").Addr())
	mtu := func() uint64 { return getUint(t, c, "/interfaces/interface[name=eth0]/config/mtu") }

	if err := setMTU(c, ctx(t), "", 9000, commitExt("a", time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, setMTU(c, ctx(t), "", 9100), codes.FailedPrecondition)
	wantCode(t, setMTU(c, ctx(t), "", 0, commitExt("b", "confirm")), codes.InvalidArgument)
	if _, err := c.Set(ctx(t), &gpb.SetRequest{Extension: []*gnmi_ext.Extension{commitExt("a", "cancel")}}); err != nil {
		t.Fatal(err)
	}
	if got := mtu(); got != 1500 {
		t.Errorf("mtu after cancel = %d, want 1500", got)
	}
	_, err := c.Set(ctx(t), &gpb.SetRequest{Extension: []*gnmi_ext.Extension{commitExt("a", "confirm")}})
	wantCode(t, err, codes.FailedPrecondition)

	if err := setMTU(c, ctx(t), "", 9000, commitExt("b", time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set(ctx(t), &gpb.SetRequest{Extension: []*gnmi_ext.Extension{commitExt("b", "confirm")}}); err != nil {
		t.Fatal(err)
	}
	if got := mtu(); got != 9000 {
		t.Errorf("mtu after confirm = %d, want 9000", got)
	}

	if err := setMTU(c, ctx(t), "", 1400, commitExt("c", 100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for mtu() != 9000 {
		if time.Now().After(deadline) {
			t.Fatal("unconfirmed commit was not rolled back")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFaults(t *testing.T) {
	f := startFleet(t, 2, WithReject("sim-1"))
	e := f.Element("sim-0")
	c := dial(t, e.Addr())
	wantCode(t, setMTU(dial(t, f.Element("sim-1").Addr()), ctx(t), "", 9000), codes.FailedPrecondition)

	e.RejectNext(1)
	wantCode(t, setMTU(c, ctx(t), "", 9000), codes.FailedPrecondition)
	if err := setMTU(c, ctx(t), "", 9000); err != nil {
		t.Fatalf("Set after the rejected one: %v", err)
	}

	e.Down()
	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := setMTU(c, short, "", 9100); err == nil {
		t.Fatal("Set on a down element succeeded")
	}
	if err := e.Up(); err != nil {
		t.Fatal(err)
	}
	if err := setMTU(c, ctx(t), "", 9100); err != nil {
		t.Fatalf("Set after Up: %v", err)
	}

	e.SetDelay(time.Second)
	short2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	wantCode(t, setMTU(c, short2, "", 1234), codes.DeadlineExceeded)
	e.SetDelay(0)
	time.Sleep(time.Second)
	if got := getUint(t, c, "/interfaces/interface[name=eth0]/config/mtu"); got != 9100 {
		t.Errorf("mtu after a Set past its deadline = %d, want 9100 (abandoned)", got)
	}

	e.CrashNext(200 * time.Millisecond)
	if err := setMTU(c, ctx(t), "", 1600, commitExt("x", time.Minute)); err == nil {
		t.Fatal("Set on a crashing element succeeded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !e.IsUp() {
		if time.Now().After(deadline) {
			t.Fatal("crashed element did not restart")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := getUint(t, c, "/interfaces/interface[name=eth0]/config/mtu"); got != 9100 {
		t.Errorf("mtu after a crash during a confirmed commit = %d, want 9100 (rolled back on reboot)", got)
	}
}

func TestSubscribeStream(t *testing.T) {
	f := startFleet(t, 1)
	c := dial(t, f.Element("sim-0").Addr())
	sc, err := c.Subscribe(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Prefix: &gpb.Path{Target: "sim-0"}, Mode: gpb.SubscriptionList_STREAM,
		Subscription: []*gpb.Subscription{{Path: path(t, "/interfaces/interface[name=eth0]/state/mtu"), Mode: gpb.SubscriptionMode_ON_CHANGE}},
	}}}); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for synced := false; !synced; {
		r, err := sc.Recv()
		if err != nil {
			t.Fatal(err)
		}
		synced = r.GetSyncResponse()
		for _, u := range r.GetUpdate().GetUpdate() {
			got = append(got, u.GetVal().GetUintVal())
		}
	}
	if len(got) != 1 || got[0] != 1500 {
		t.Fatalf("initial values %v, want [1500]", got)
	}
	if err := setMTU(c, ctx(t), "", 9000); err != nil {
		t.Fatal(err)
	}
	r, err := sc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if ups := r.GetUpdate().GetUpdate(); len(ups) != 1 || ups[0].GetVal().GetUintVal() != 9000 || r.GetUpdate().GetPrefix().GetTarget() != "sim-0" {
		t.Fatalf("change notification %v, want state/mtu 9000 for target sim-0", r)
	}
}

func TestStateChangesOnItsOwn(t *testing.T) {
	f, err := Start("127.0.0.1:0", 1, WithStateInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := dial(t, f.Element("sim-0").Addr())
	first := getUint(t, c, "/interfaces/interface[name=eth0]/state/counters/in-pkts")
	time.Sleep(100 * time.Millisecond)
	if next := getUint(t, c, "/interfaces/interface[name=eth0]/state/counters/in-pkts"); next <= first {
		t.Errorf("in-pkts went from %d to %d, want growth", first, next)
	}
}

func TestControl(t *testing.T) {
	f := startFleet(t, 2)
	crashed := make(chan struct{})
	srv := httptest.NewServer(f.Handler(func() { close(crashed) }))
	defer srv.Close()
	post := func(u string) int {
		resp, err := http.Post(srv.URL+u, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/elements/sim-0/reject?count=1"); code != 200 {
		t.Fatalf("reject: HTTP %d", code)
	}
	c := dial(t, f.Element("sim-0").Addr())
	wantCode(t, setMTU(c, ctx(t), "", 9000), codes.FailedPrecondition)
	if code := post("/elements/sim-0/set?path=/interfaces/interface%5Bname=eth0%5D/config/mtu&value=1400"); code != 200 {
		t.Fatalf("set: HTTP %d", code)
	}
	if got := getUint(t, c, "/interfaces/interface[name=eth0]/config/mtu"); got != 1400 {
		t.Errorf("mtu after a local change = %d, want 1400", got)
	}
	if code := post("/elements/nope/down"); code != http.StatusNotFound {
		t.Errorf("unknown element: HTTP %d, want 404", code)
	}
	if code := post("/crash?after=1"); code != 200 {
		t.Fatalf("crash: HTTP %d", code)
	}
	if err := setMTU(dial(t, f.Element("sim-1").Addr()), ctx(t), "", 9000); err != nil {
		t.Fatal(err)
	}
	select {
	case <-crashed:
	case <-time.After(5 * time.Second):
		t.Fatal("process crash hook not called after the Set")
	}
}
