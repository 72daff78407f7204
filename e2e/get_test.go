package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGetGnmic(t *testing.T) {
	t.Parallel()
	n := startNwmod(t)
	addr := n.Addr()
	addElement(t, addr, "sim-0")
	addInterfaces(t, addr, "sim-0", "eth0", "eth1")

	t.Run("encodings", func(t *testing.T) {
		for _, tc := range []struct {
			enc  string
			want map[string]any
		}{
			{"json", map[string]any{"name": "eth0", "mtu": float64(1500), "description": "port eth0"}},
			{"json_ietf", map[string]any{"openconfig-interfaces:name": "eth0", "openconfig-interfaces:mtu": float64(1500), "openconfig-interfaces:description": "port eth0"}},
		} {
			r := parseGet(t, mustGnmic(t, addr, "--target", "sim-0", "-e", tc.enc, "get", "--path", "/interfaces/interface[name=eth0]/config"))
			if len(r) != 1 || len(r[0].Updates) != 1 {
				t.Fatalf("%s: %+v, want one notification of one update", tc.enc, r)
			}
			if r[0].Target != "sim-0" {
				t.Errorf("%s: target %q, want sim-0 echoed", tc.enc, r[0].Target)
			}
			for _, v := range r[0].Updates[0].Values {
				if diff := cmp.Diff(tc.want, v); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.enc, diff)
				}
			}
		}
		got := flatGet(t, addr, "--target", "sim-0", "-e", "proto", "--path", "/interfaces/interface[name=eth0]/config")
		want := map[string]string{
			"interfaces/interface[name=eth0]/config/name":        "eth0",
			"interfaces/interface[name=eth0]/config/mtu":         "1500",
			"interfaces/interface[name=eth0]/config/description": "port eth0",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("proto (-want +got):\n%s", diff)
		}
	})

	t.Run("wildcards", func(t *testing.T) {
		want := map[string]string{
			"interfaces/interface[name=eth0]/config/mtu": "1500",
			"interfaces/interface[name=eth1]/config/mtu": "1500",
		}
		for _, p := range []string{"/interfaces/interface[name=*]/config/mtu", "/interfaces/interface/config/mtu", "/interfaces/*/*/mtu", "/.../mtu"} {
			if diff := cmp.Diff(want, flatGet(t, addr, "--target", "sim-0", "-e", "proto", "--path", p)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", p, diff)
			}
		}
	})

	t.Run("data types", func(t *testing.T) {
		tops := func(out map[string]string) map[string]bool {
			m := map[string]bool{}
			for k := range out {
				m[strings.SplitN(k, "/", 2)[0]] = true
			}
			return m
		}
		// The southbound publishes each element's state (connected,
		// in-sync...) on nwmo shortly after it joins the inventory.
		deadline := time.Now().Add(30 * time.Second)
		for !tops(flatGet(t, addr, "-e", "proto", "--type", "STATE", "--path", "/"))["targets"] {
			if time.Now().After(deadline) {
				t.Fatal("no state of sim-0 under /targets on nwmo after 30s")
			}
			time.Sleep(100 * time.Millisecond)
		}
		for _, tc := range []struct {
			typ  string
			want map[string]bool
		}{
			{"ALL", map[string]bool{"targets": true, "commits": true}},
			{"CONFIG", map[string]bool{"targets": true}},
			{"STATE", map[string]bool{"targets": true, "commits": true}},
			{"OPERATIONAL", map[string]bool{"targets": true, "commits": true}},
		} {
			got := tops(flatGet(t, addr, "-e", "proto", "--type", tc.typ, "--path", "/"))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("--type %s: top-level nodes of nwmo (-want +got):\n%s", tc.typ, diff)
			}
		}
		// An element's config, as CONFIG, is all of it; it has no state
		// without a southbound.
		if got := flatGet(t, addr, "--target", "sim-0", "-e", "proto", "--type", "CONFIG", "--path", "/interfaces"); len(got) != 8 {
			t.Errorf("CONFIG of sim-0's interfaces: %v, want 8 leaves", got)
		}
		if _, err := gnmic(t, addr, "--target", "sim-0", "--type", "STATE", "get", "--path", "/interfaces"); err == nil || !strings.Contains(err.(*GnmicError).Stderr, "NotFound") {
			t.Errorf("STATE of config-only data: %v, want NotFound", err)
		}
	})

	t.Run("use_models", func(t *testing.T) {
		got := flatGet(t, addr, "--target", "sim-0", "-e", "proto", "--model", "openconfig-system", "--path", "/")
		if len(got) != 0 {
			t.Errorf("--model openconfig-system on a config of interfaces only: %v", got)
		}
		if got := flatGet(t, addr, "--target", "sim-0", "-e", "proto", "--model", "openconfig-interfaces", "--path", "/"); len(got) != 8 {
			t.Errorf("--model openconfig-interfaces: %v, want 8 leaves", got)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want []string // in gnmic's stderr
		}{
			{[]string{"--target", "sim-0", "get", "--path", "/interfaces/interface[name=eth9]"}, []string{"NotFound", "eth9"}},
			{[]string{"--target", "sim-9", "get", "--path", "/"}, []string{"NotFound", "known targets: nwmo, sim-0"}},
			{[]string{"--target", "sim-0", "get", "--path", "/interfaces/interface[id=1]"}, []string{"InvalidArgument", "keyed by name"}},
			{[]string{"--target", "sim-0", "-e", "ascii", "get", "--path", "/"}, []string{"Unimplemented", "ASCII"}},
		} {
			_, err := gnmic(t, addr, tc.args...)
			if err == nil {
				t.Errorf("gnmic %s succeeded", quoteArgs(tc.args))
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(err.(*GnmicError).Stderr, w) {
					t.Errorf("gnmic %s: stderr lacks %q:\n%s", quoteArgs(tc.args), w, err.(*GnmicError).Stderr)
				}
			}
		}
	})
}
