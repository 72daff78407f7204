package server

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/server/coalesce"
)

// quietStream is the Subscribe stream of a session that is never served:
// the pump tests look at its queue.
type quietStream struct {
	gpb.GNMI_SubscribeServer
	ctx context.Context
}

func (s quietStream) Context() context.Context { return s.ctx }

// pumpInto runs a session's pump, for the ON_CHANGE subscription of
// paths on sim-0, into q until the test ends.
func pumpInto(t *testing.T, f *fixture, q *coalesce.Queue[string, pending], paths ...string) {
	t.Helper()
	ss, err := f.srv.newSession(quietStream{ctx: context.Background()}, &gpb.SubscribeRequest{
		Request: &gpb.SubscribeRequest_Subscribe{Subscribe: stream("sim-0", gpb.SubscriptionMode_ON_CHANGE, paths...)}})
	if err != nil {
		t.Fatal(err)
	}
	in := f.srv.hub.subscribe("sim-0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ss.pump(ctx, in, q)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		f.srv.hub.unsubscribe(in)
	})
}

// waitLen waits until q holds n values.
func waitLen(t *testing.T, q *coalesce.Queue[string, pending], n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for q.Len() != n {
		if time.Now().After(deadline) {
			t.Fatalf("the queue holds %d values, want %d", q.Len(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// notesLeaves decodes the leaves of encoded SubscribeResponses.
func notesLeaves(t *testing.T, msgs [][]byte) []string {
	t.Helper()
	var got []string
	for _, m := range msgs {
		var r gpb.SubscribeResponse
		if err := proto.Unmarshal(m, &r); err != nil {
			t.Fatal(err)
		}
		got = append(got, leafEvents(t, r.GetUpdate())...)
	}
	return got
}

func TestPumpSharesAWholeChange(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	mtu := "/interfaces/interface[name=eth0]/config/mtu"
	desc := "/interfaces/interface[name=eth0]/config/description"
	same1 := coalesce.New[string, pending](0)
	same2 := coalesce.New[string, pending](0)
	other := coalesce.New[string, pending](0)
	pumpInto(t, f, same1, "/interfaces/interface[name=*]/config")
	pumpInto(t, f, same2, "/interfaces/interface[name=*]/config")
	pumpInto(t, f, other, mtu)

	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(9000)}, {Path: path(t, desc), Val: strVal("uplink")}}})
	var notes [3][][]byte
	for i, q := range []*coalesce.Queue[string, pending]{same1, same2, other} {
		waitLen(t, q, 1)
		items, overflowed := q.Drain(nil, 0)
		if len(items) != 1 || items[0].notes == nil || overflowed {
			t.Fatalf("subscriber %d: drained %d items (overflow %v), want one whole change", i, len(items), overflowed)
		}
		notes[i] = items[0].notes
	}
	if &notes[0][0][0] != &notes[1][0][0] {
		t.Error("two subscribers of one filter got the change encoded twice")
	}
	if diff := cmp.Diff([]string{desc + "=uplink", mtu + "=9000"}, sorted(notesLeaves(t, notes[0]))); diff != "" {
		t.Errorf("subscriber of the config (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{mtu + "=9000"}, notesLeaves(t, notes[2])); diff != "" {
		t.Errorf("subscriber of mtu (-want +got):\n%s", diff)
	}
}

func TestPumpCoalescesBehindWaitingValues(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	mtu := "/interfaces/interface[name=eth0]/config/mtu"
	q := coalesce.New[string, pending](0)
	q.Insert("/waiting", pending{}) // a subscriber behind
	pumpInto(t, f, q, "/interfaces/interface[name=*]/config")

	for _, v := range []uint64{1000, 2000, 3000} {
		f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(v)}}})
	}
	f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/interfaces/interface[name=eth0]/config/description"), Val: strVal("x")}}})
	waitLen(t, q, 3) // the description comes last: every mtu is in
	items, _ := q.Drain(nil, 0)
	var got []string
	for _, it := range items[1:] {
		if it.notes != nil || it.field != fieldUpdate {
			t.Fatalf("behind waiting values, got %+v, want leaf updates", it)
		}
		var u gpb.Update
		if err := proto.Unmarshal(it.raw, &u); err != nil {
			t.Fatal(err)
		}
		got = append(got, tree.FormatPath(u.GetPath().GetElem())+"="+u.GetVal().String())
	}
	want := []string{mtu + "=" + uintVal(3000).String(), "/interfaces/interface[name=eth0]/config/description=" + strVal("x").String()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("coalesced leaves (-want +got):\n%s", diff)
	}
}
