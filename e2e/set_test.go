package e2e

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestSetGnmic(t *testing.T) {
	t.Parallel()
	n := startNwmod(t)
	addr := n.Addr()
	addElement(t, addr, "sim-0")
	addInterfaces(t, addr, "sim-0", "eth0", "eth1")
	leaves := func(t *testing.T, p string) map[string]string {
		t.Helper()
		return flatGet(t, addr, "--target", "sim-0", "-e", "proto", "--path", p)
	}
	eth0 := "interfaces/interface[name=eth0]/config/"

	t.Run("update-path and update-value", func(t *testing.T) {
		mustGnmic(t, addr, "--target", "sim-0", "set",
			"--update-path", "/interfaces/interface[name=eth0]/config/mtu", "--update-value", "9000",
			"--update-path", "/interfaces/interface[name=eth0]/config/description", "--update-value", "uplink")
		got := leaves(t, "/interfaces/interface[name=eth0]/config")
		if got[eth0+"mtu"] != "9000" || got[eth0+"description"] != "uplink" {
			t.Errorf("after the update: %v", got)
		}
	})
	t.Run("replace-path and replace-file", func(t *testing.T) {
		f := writeFile(t, "config.json", `{"name":"eth0","mtu":1280}`)
		mustGnmic(t, addr, "--target", "sim-0", "set", "--replace-path", "/interfaces/interface[name=eth0]/config", "--replace-file", f)
		want := map[string]string{eth0 + "name": "eth0", eth0 + "mtu": "1280"}
		if diff := cmp.Diff(want, leaves(t, "/interfaces/interface[name=eth0]/config")); diff != "" {
			t.Errorf("replaced: the description must be gone (-want +got):\n%s", diff)
		}
	})
	t.Run("delete", func(t *testing.T) {
		mustGnmic(t, addr, "--target", "sim-0", "set", "--delete", "/interfaces/interface[name=eth1]", "--delete", "/interfaces/interface[name=eth7]")
		if got := leaves(t, "/interfaces"); len(got) != 3 {
			t.Errorf("after deleting eth1: %v", got)
		}
	})
	t.Run("update-file", func(t *testing.T) {
		f := writeFile(t, "system.json", `{"config":{"hostname":"r1","domain-name":"example.net"}}`)
		mustGnmic(t, addr, "--target", "sim-0", "set", "--update-path", "/system", "--update-file", f)
		want := map[string]string{"system/config/hostname": "r1", "system/config/domain-name": "example.net"}
		if diff := cmp.Diff(want, leaves(t, "/system")); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("union-replace", func(t *testing.T) {
		f := writeFile(t, "system.json", `{"config":{"hostname":"r2"}}`)
		mustGnmic(t, addr, "--target", "sim-0", "set", "--union-replace-path", "/system", "--union-replace-file", f)
		want := map[string]string{"system/config/hostname": "r2"}
		if diff := cmp.Diff(want, leaves(t, "/system")); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("request-file", func(t *testing.T) {
		// A request file has no target: it edits nwmo's own model, here
		// the inventory.
		f := writeFile(t, "request.yaml", `
updates:
  - path: /targets/target[name=sim-1]/config
    value: {"name": "sim-1", "address": "127.0.0.1:2", "adapter": "none"}
    encoding: json_ietf
  - path: /targets/target[name=sim-2]/config
    value: {"name": "sim-2", "address": "127.0.0.1:3", "adapter": "none"}
    encoding: json_ietf
deletes:
  - /targets/target[name=sim-0]/config/description
`)
		mustGnmic(t, addr, "set", "--request-file", f)
		got := flatGet(t, addr, "-e", "proto", "--path", "/targets/target/config/address")
		want := map[string]string{
			"targets/target[name=sim-0]/config/address": "127.0.0.1:1",
			"targets/target[name=sim-1]/config/address": "127.0.0.1:2",
			"targets/target[name=sim-2]/config/address": "127.0.0.1:3",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("inventory (-want +got):\n%s", diff)
		}
		// The new elements are targets at once.
		mustGnmic(t, addr, "--target", "sim-2", "set", "--update-path", "/system/config/hostname", "--update-value", "s2")
	})
	t.Run("one bad value and one good value change nothing", func(t *testing.T) {
		before := leaves(t, "/")
		_, err := gnmic(t, addr, "--target", "sim-0", "set",
			"--update-path", "/system/config/hostname", "--update-value", "changed",
			"--update-path", "/interfaces/interface[name=eth0]/config/mtu", "--update-value", "huge")
		if err == nil || !strings.Contains(err.(*GnmicError).Stderr, "InvalidArgument") {
			t.Fatalf("set with a bad value: %v, want InvalidArgument", err)
		}
		if !strings.Contains(err.(*GnmicError).Stderr, "/interfaces/interface[name=eth0]/config/mtu") {
			t.Errorf("the error does not name the path:\n%s", err.(*GnmicError).Stderr)
		}
		if diff := cmp.Diff(before, leaves(t, "/")); diff != "" {
			t.Errorf("a failed set changed the configuration (-before +after):\n%s", diff)
		}
	})
	t.Run("a path not in the schema", func(t *testing.T) {
		_, err := gnmic(t, addr, "--target", "sim-0", "set", "--update-path", "/interfaces/interface[name=eth0]/config/speed", "--update-value", "1")
		if err == nil || !strings.Contains(err.(*GnmicError).Stderr, "NotFound") {
			t.Errorf("set of an unknown path: %v, want NotFound", err)
		}
	})

	t.Run("Go client: status details name the failed operation", func(t *testing.T) {
		c := n.Client(t)
		_, err := c.Set(rpcCtx(t), &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Update: []*gpb.Update{
			{Path: gpath(t, "/system/config/hostname"), Val: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: "ok"}}},
			{Path: gpath(t, "/interfaces/interface[name=eth0]/config/mtu"), Val: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: "huge"}}},
		}})
		st := status.Convert(err)
		if st.Code() != codes.InvalidArgument {
			t.Fatalf("code %v, want InvalidArgument", st.Code())
		}
		var codesGot []codes.Code
		for _, d := range st.Details() {
			if r, ok := d.(*gpb.SetResponse); ok {
				for _, u := range r.GetResponse() {
					codesGot = append(codesGot, codes.Code(u.GetMessage().GetCode())) //nolint:staticcheck // the spec's per-operation status
				}
			}
		}
		if diff := cmp.Diff([]codes.Code{codes.Aborted, codes.InvalidArgument}, codesGot); diff != "" {
			t.Errorf("per-operation codes (-want +got):\n%s", diff)
		}
	})
}
