package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/nwmo/nwmo/datastore"
)

// collect reads notifications until it holds every string of want (as
// leafEvents spells them) and returns all it read.
func (sc *subClient) collect(want ...string) []string {
	sc.t.Helper()
	var got []string
	for {
		missing := false
		for _, w := range want {
			if !slices.Contains(got, w) {
				missing = true
				break
			}
		}
		if !missing {
			return got
		}
		got = append(got, leafEvents(sc.t, sc.next().GetUpdate())...)
	}
}

// under returns the events of got under prefix.
func under(got []string, prefix string) []string {
	var out []string
	for _, g := range got {
		if strings.HasPrefix(strings.TrimPrefix(g, "-"), prefix) {
			out = append(out, g)
		}
	}
	return out
}

// withoutValues keeps the paths of events, for values (times) a test cannot
// know.
func withoutValues(events []string) []string {
	out := make([]string, len(events))
	for i, e := range events {
		// The value starts at the first "=" after the keys.
		keys := strings.LastIndex(e, "]") + 1
		path, _, _ := strings.Cut(e[keys:], "=")
		out[i] = e[:keys] + path
	}
	return sorted(out)
}

// TestSubscribeOwnState follows nwmo's commits and candidates ON_CHANGE:
// each change of the history sends the leaves it changed, and only those,
// as it happens.
func TestSubscribeOwnState(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	sc := f.subscribe(t, stream("nwmo", gpb.SubscriptionMode_ON_CHANGE, "/commits", "/candidates"))
	sc.untilSync()
	setHostname := func(target, name string, ext []*gnmi_ext.Extension) {
		f.set(t, target, &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/system/config/hostname"), Val: strVal(name)}}, Extension: ext})
	}

	t.Run("a commit", func(t *testing.T) {
		sc.t = t // its failures are this subtest's
		l := stream("nwmo", gpb.SubscriptionMode_ON_CHANGE, "/commits/commit/state/elements")
		l.Encoding = gpb.Encoding_JSON_IETF
		ietf := f.subscribe(t, l)
		ietf.untilSync()
		setHostname("sim-0", "a", nil)
		id := f.store.LastID()
		c := fmt.Sprintf("/commits/commit[id=%d]", id)
		got := sc.collect(c + `/state/status=committed`)
		want := []string{c + "/id", c + "/state/changes", c + "/state/elements", c + "/state/id", c + "/state/status", c + "/state/time", c + "/state/user"}
		if diff := cmp.Diff(want, withoutValues(got)); diff != "" {
			t.Errorf("leaves of commit %d (-want +got):\n%s", id, diff)
		}
		if diff := cmp.Diff([]string{c + `/state/elements=["sim-0"]`}, leafEvents(t, ietf.next().GetUpdate())); diff != "" {
			t.Errorf("in JSON_IETF (-want +got):\n%s", diff)
		}
	})

	t.Run("a confirmed commit, then its confirmation", func(t *testing.T) {
		sc.t = t // its failures are this subtest's
		setHostname("sim-0", "b", commitExt("cc", durationpb.New(time.Minute)))
		id := f.store.LastID()
		c := fmt.Sprintf("/commits/commit[id=%d]", id)
		got := sc.collect(c + `/state/status=pending-confirm`)
		if !slices.Contains(withoutValues(got), c+"/state/confirm-deadline") {
			t.Errorf("pending commit %d without its deadline: %v", id, got)
		}
		f.set(t, "sim-0", &gpb.SetRequest{Extension: confirmExt("cc")})
		got = leafEvents(t, sc.next().GetUpdate())
		if diff := cmp.Diff([]string{c + `/state/status=committed`}, got); diff != "" {
			t.Errorf("confirming sends only the status (-want +got):\n%s", diff)
		}
	})

	t.Run("a candidate opened, written, committed", func(t *testing.T) {
		sc.t = t // its failures are this subtest's
		setHostname("sim-0@c1", "c", nil)
		k := "/candidates/candidate[name=c1]"
		got := sc.collect(k + "/state/edits=1")
		want := []string{k + "/name", k + "/state/base-commit", k + "/state/created", k + "/state/edits", k + "/state/elements",
			k + "/state/last-modified", k + "/state/name", k + "/state/owner"}
		if diff := cmp.Diff(want, withoutValues(under(got, k))); diff != "" {
			t.Errorf("leaves of a new candidate (-want +got):\n%s", diff)
		}
		setHostname("sim-0@c1", "d", nil)
		got = sc.collect(k + "/state/edits=2")
		if diff := cmp.Diff([]string{k + "/state/edits", k + "/state/last-modified"}, withoutValues(got)); diff != "" {
			t.Errorf("a second write changes (-want +got):\n%s", diff)
		}
		f.set(t, "", &gpb.SetRequest{Extension: commitExt("c1", durationpb.New(time.Minute))})
		id := f.store.LastID()
		c := fmt.Sprintf("/commits/commit[id=%d]", id)
		got = sc.collect(c+`/state/candidate=c1`, "-"+k+"/state/edits")
		if diff := cmp.Diff(sorted(append([]string{"-" + k + "/name"}, prefixAll("-"+k+"/state/", "base-commit", "created", "edits", "elements", "last-modified", "name", "owner")...)), sorted(under(got, k))); diff != "" {
			t.Errorf("a committed candidate goes (-want +got):\n%s", diff)
		}
		f.set(t, "", &gpb.SetRequest{Extension: confirmExt("c1")})
		sc.collect(c + `/state/status=committed`)
	})
	sc.t = t
	sc.quiet(100 * time.Millisecond)

	t.Run("the history is followed again for a new subscriber", func(t *testing.T) {
		sc.cancel()
		for deadline := time.Now().Add(10 * time.Second); f.srv.hub.subscribed(datastore.ServerTarget); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("nwmo's last subscriber is still subscribed 10 s after it left")
			}
		}
		again := f.subscribe(t, stream("nwmo", gpb.SubscriptionMode_ON_CHANGE, "/commits/commit/state/status"))
		again.untilSync()
		setHostname("sim-0", "e", nil)
		c := fmt.Sprintf("/commits/commit[id=%d]", f.store.LastID())
		if diff := cmp.Diff([]string{c + "/state/status=committed"}, leafEvents(t, again.next().GetUpdate())); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		again.quiet(100 * time.Millisecond)
	})
}

// TestSubscribeOwnStatePruned: commits leaving the history are deleted
// for the subscribers of nwmo.
func TestSubscribeOwnStatePruned(t *testing.T) {
	f := newFixtureStore(t, datastore.DefaultOptions("").WithInMemory(true).WithHistoryCommits(2))
	f.addElement(t, "sim-0")
	sc := f.subscribe(t, stream("nwmo", gpb.SubscriptionMode_ON_CHANGE, "/commits/commit/state/status"))
	sc.untilSync()
	first := f.store.LastID() + 1
	for i := range 6 {
		f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/system/config/hostname"), Val: strVal(fmt.Sprint("h", i))}}})
	}
	got := sc.collect(fmt.Sprintf("-/commits/commit[id=%d]/state/status", first))
	for _, g := range got {
		if !strings.HasSuffix(strings.TrimPrefix(g, "-"), "/state/status") && !strings.Contains(g, "/state/status=") {
			t.Errorf("%s sent to a subscriber of the status alone", g)
		}
	}
	if h := f.store.History(datastore.HistoryFilter{}); h[0].ID <= first {
		t.Errorf("commit %d deleted for subscribers but kept: history from %d", first, h[0].ID)
	}
}

// subscribed reports whether target has subscribers.
func (h *hub) subscribed(target string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.inboxes[target]) > 0
}

func prefixAll(prefix string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}
