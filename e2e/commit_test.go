package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// gnmic 0.37 sends the Commit extension with `set --proto-file`: the file
// is a SetRequest in protobuf text format, extensions included.

func commitFile(t testing.TB, update, ext string) string {
	t.Helper()
	return writeFile(t, "set.textproto", update+"\nextension: { commit: { "+ext+" } }\n")
}

const hostnameUpdate = `prefix: { target: "sim-0" }
update: {
  path: { elem: { name: "system" } elem: { name: "config" } elem: { name: "hostname" } }
  val: { string_val: "%s" }
}`

func hostnameSet(v string) string { return strings.Replace(hostnameUpdate, "%s", v, 1) }

func TestCommitConfirmedGnmic(t *testing.T) {
	t.Parallel()
	n := startNwmod(t)
	addr := n.Addr()
	addElement(t, addr, "sim-0")
	mustGnmic(t, addr, "--target", "sim-0", "set", "--update-path", "/system/config/hostname", "--update-value", "before")
	hostname := func() string {
		return flatGet(t, addr, "--target", "sim-0", "-e", "proto", "--path", "/system/config/hostname")["system/config/hostname"]
	}
	status := func(id string) string {
		return flatGet(t, addr, "-e", "proto", "--path", "/commits/commit[id="+id+"]/state/status")["commits/commit[id="+id+"]/state/status"]
	}
	failsWith := func(t *testing.T, code string, args ...string) {
		t.Helper()
		_, err := gnmic(t, addr, args...)
		if err == nil || !strings.Contains(err.(*GnmicError).Stderr, code) {
			t.Errorf("gnmic %s: %v, want %s", quoteArgs(args), err, code)
		}
	}

	// A confirmed commit, then a Set without the extension is refused
	// while it is pending, then confirm.
	mustGnmic(t, addr, "set", "--proto-file", commitFile(t, hostnameSet("trial"), `id: "c1" commit: { rollback_duration: { seconds: 600 } }`))
	if got := hostname(); got != "trial" {
		t.Errorf("hostname %q after the confirmed commit", got)
	}
	if got := status("3"); got != "pending-confirm" {
		t.Errorf("commit 3 status %q, want pending-confirm", got)
	}
	failsWith(t, "FailedPrecondition", "--target", "sim-0", "set", "--update-path", "/system/config/hostname", "--update-value", "other")
	failsWith(t, "InvalidArgument", "set", "--proto-file", commitFile(t, "", `id: "wrong" confirm: {}`))
	mustGnmic(t, addr, "set", "--proto-file", commitFile(t, "", `id: "c1" set_rollback_duration: { rollback_duration: { seconds: 900 } }`))
	mustGnmic(t, addr, "set", "--proto-file", commitFile(t, "", `id: "c1" confirm: {}`))
	if got := status("3"); got != "committed" {
		t.Errorf("commit 3 status %q after confirm, want committed", got)
	}
	failsWith(t, "FailedPrecondition", "set", "--proto-file", commitFile(t, "", `id: "c1" confirm: {}`))
	failsWith(t, "InvalidArgument", "set", "--proto-file", commitFile(t, hostnameSet("zero"), `id: "c2" commit: { rollback_duration: {} }`))

	// Cancel rolls back.
	mustGnmic(t, addr, "set", "--proto-file", commitFile(t, hostnameSet("doomed"), `id: "c3" commit: {}`))
	mustGnmic(t, addr, "set", "--proto-file", commitFile(t, "", `id: "c3" cancel: {}`))
	if got := hostname(); got != "trial" {
		t.Errorf("hostname %q after cancel, want trial", got)
	}

	// Not confirmed in time: rolled back by the server.
	mustGnmic(t, addr, "set", "--proto-file", commitFile(t, hostnameSet("short"), `id: "c4" commit: { rollback_duration: { nanos: 500000000 } }`))
	deadline := time.Now().Add(20 * time.Second)
	for hostname() != "trial" {
		if time.Now().After(deadline) {
			t.Fatalf("hostname %q 20s after a 0.5s rollback duration, want trial", hostname())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A candidate committed with the extension and no operations,
	// whatever the target.
	mustGnmic(t, addr, "--target", "sim-0@change42", "set", "--update-path", "/system/config/hostname", "--update-value", "from-candidate")
	if got := hostname(); got != "trial" {
		t.Errorf("a candidate edit reached running: %q", got)
	}
	mustGnmic(t, addr, "set", "--proto-file", commitFile(t, "", `id: "change42" commit: { rollback_duration: { seconds: 60 } }`))
	if got := hostname(); got != "from-candidate" {
		t.Errorf("hostname %q after committing the candidate", got)
	}
	mustGnmic(t, addr, "set", "--proto-file", commitFile(t, "", `id: "change42" confirm: {}`))

	// The same with the Go client.
	c := n.Client(t)
	ext := func(cm *gnmi_ext.Commit) []*gnmi_ext.Extension {
		return []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: cm}}}
	}
	_, err := c.Set(rpcCtx(t), &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0"},
		Update:    []*gpb.Update{{Path: gpath(t, "/system/config/hostname"), Val: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: "go"}}}},
		Extension: ext(&gnmi_ext.Commit{Id: "g1", Action: &gnmi_ext.Commit_Commit{Commit: &gnmi_ext.CommitRequest{RollbackDuration: durationpb.New(time.Minute)}}})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Set(rpcCtx(t), &gpb.SetRequest{Extension: ext(&gnmi_ext.Commit{Id: "g1", Action: &gnmi_ext.Commit_Confirm{Confirm: &gnmi_ext.CommitConfirm{}}})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Set(rpcCtx(t), &gpb.SetRequest{Extension: ext(&gnmi_ext.Commit{Id: "g1", Action: &gnmi_ext.Commit_Cancel{Cancel: &gnmi_ext.CommitCancel{}}})})
	if st, _ := statusOf(err); st != codes.FailedPrecondition {
		t.Errorf("cancel with nothing pending: %v, want FailedPrecondition", err)
	}
}

func statusOf(err error) (codes.Code, string) {
	st := status.Convert(err)
	return st.Code(), st.Message()
}

// TestHistoryBoundGnmic: with --history-commits 3, /commits on target nwmo
// lists fewer than twice that once the pruner has caught up, the same
// after a restart, and ids go on after it.
func TestHistoryBoundGnmic(t *testing.T) {
	t.Parallel()
	n := startNwmod(t, "--history-commits", "3")
	addr := n.Addr()
	addElement(t, addr, "sim-0")
	for i := range 12 {
		mustGnmic(t, addr, "--target", "sim-0", "set", "--update-path", "/system/config/hostname", "--update-value", fmt.Sprintf("h%d", i))
	}
	// Commit 1 added sim-0; commits 2 to 13 set the hostname.
	ids := func() []int {
		var out []int
		for k := range flatGet(t, addr, "-e", "proto", "--path", "/commits/commit/state/id") {
			id, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(k, "commits/commit[id="), "]/state/id"))
			if err != nil {
				t.Fatalf("commit path %q: %v", k, err)
			}
			out = append(out, id)
		}
		slices.Sort(out)
		return out
	}
	kept := ids()
	for deadline := time.Now().Add(10 * time.Second); len(kept) >= 6; kept = ids() {
		if time.Now().After(deadline) {
			t.Fatalf("commits kept = %v after 10 s, want fewer than 6", kept)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(kept) < 3 || kept[len(kept)-1] != 13 || kept[0] != 14-len(kept) {
		t.Fatalf("commits kept = %v, want the newest 3 to 5 up to 13", kept)
	}

	n.Restart(t)
	addr = n.Addr()
	if got := ids(); !slices.Equal(got, kept) {
		t.Errorf("commits kept after restart = %v, want %v", got, kept)
	}
	if got := flatGet(t, addr, "--target", "sim-0", "-e", "proto", "--path", "/system/config/hostname")["system/config/hostname"]; got != "h11" {
		t.Errorf("hostname after restart = %q, want h11", got)
	}
	mustGnmic(t, addr, "--target", "sim-0", "set", "--update-path", "/system/config/hostname", "--update-value", "after")
	if got := ids(); len(got) == 0 || got[len(got)-1] != 14 {
		t.Errorf("commits after one more = %v, want the newest to be 14", got)
	}
}
