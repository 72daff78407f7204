package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TestAlarmsServed checks that nwmo's alarms, which live in its state
// tree, reach Get and Subscribe (ON_CHANGE, SAMPLE, ONCE) on target nwmo as
// they are raised and cleared; here the alarm of a confirmed commit.
func TestAlarmsServed(t *testing.T) {
	f := newFixture(t, WithMinSampleInterval(20*time.Millisecond))
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	onChange := f.subscribe(t, stream("nwmo", gpb.SubscriptionMode_ON_CHANGE, "/alarms"))
	if got := leafEvents(t, onChange.untilSync()...); len(got) != 0 {
		t.Errorf("alarms before any was raised: %v", got)
	}

	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=eth0]/config/mtu"), Val: uintVal(9000)}},
		Extension: commitExt("c1", durationpb.New(time.Hour))})
	p, ok := f.store.Pending()
	if !ok {
		t.Fatal("no confirmed commit pending")
	}
	h, _, err := f.store.Commit(p.Commit)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("COMMIT_CONFIRM_PENDING/%d", p.Commit)
	entry := "/alarms/alarm[id=" + id + "]"
	text := fmt.Sprintf(`confirmed commit %d (confirm id "c1") on sim-0 waits for its confirmation; it is rolled back at %s unless confirmed`,
		p.Commit, p.Deadline.UTC().Format(time.RFC3339))
	var want, gone []string
	for _, l := range [][2]string{
		{"/id", id},
		{"/state/id", id},
		{"/state/resource", "nwmo"},
		{"/state/severity", "warning"},
		{"/state/text", text},
		{"/state/time-created", fmt.Sprint(h.Time)},
		{"/state/type-id", "COMMIT_CONFIRM_PENDING"},
	} {
		want = append(want, entry+l[0]+"="+l[1])
		gone = append(gone, "-"+entry+l[0])
	}

	if diff := cmp.Diff(want, sorted(leafEvents(t, onChange.next().GetUpdate()))); diff != "" {
		t.Errorf("ON_CHANGE as the alarm is raised (-want +got):\n%s", diff)
	}
	resp, err := f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "nwmo"}, Path: []*gpb.Path{path(t, "/alarms")}, Encoding: gpb.Encoding_PROTO})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, sorted(leafEvents(t, resp.GetNotification()...))); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	once := stream("nwmo", 0, "/alarms")
	once.Mode = gpb.SubscriptionList_ONCE
	if diff := cmp.Diff(want, sorted(leafEvents(t, f.subscribe(t, once).untilSync()...))); diff != "" {
		t.Errorf("ONCE (-want +got):\n%s", diff)
	}
	sample := f.subscribe(t, stream("nwmo", gpb.SubscriptionMode_SAMPLE, "/alarms"))
	if diff := cmp.Diff(want, sorted(leafEvents(t, sample.untilSync()...))); diff != "" {
		t.Errorf("SAMPLE, initial (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, sorted(leafEvents(t, sample.next().GetUpdate()))); diff != "" {
		t.Errorf("SAMPLE, a sample (-want +got):\n%s", diff)
	}

	if _, err := f.c.Set(ctxT(t), &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Extension: confirmExt("c1")}); err != nil {
		t.Fatal(err)
	}
	got := leafEvents(t, onChange.next().GetUpdate())
	if diff := cmp.Diff(sorted(gone), sorted(got)); diff != "" {
		t.Errorf("ON_CHANGE as the alarm is cleared (-want +got):\n%s", diff)
	}
	_, err = f.c.Get(ctxT(t), &gpb.GetRequest{Prefix: &gpb.Path{Target: "nwmo"}, Path: []*gpb.Path{path(t, "/alarms")}, Encoding: gpb.Encoding_PROTO})
	wantCode(t, err, codes.NotFound)
}
