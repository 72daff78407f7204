package access

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"golang.org/x/crypto/bcrypt"
)

// hash is a bcrypt hash at the lowest cost, for tests.
func hash(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func policy(t *testing.T, yaml string) *Policy {
	t.Helper()
	p, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func elems(t *testing.T, s string) []*gpb.PathElem {
	t.Helper()
	p, err := ygot.StringToStructuredPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p.GetElem()
}

func TestAllowed(t *testing.T) {
	p := policy(t, `
users:
  admin: {roles: [admin]}
  noc: {roles: [viewer]}
  ops: {roles: [core-ops, viewer]}
roles:
  admin:
    - actions: [read, write, subscribe]
  viewer:
    - targets: ["*"]
      actions: [read, subscribe]
  core-ops:
    - targets: [core-*, nwmo]
      paths:
        - /interfaces/interface[name=eth0]
        - /openconfig-system:system/config
        - /network-instances/network-instance[name=*]/config
      actions: [write]
`)
	for _, c := range []struct {
		user   string
		action Action
		target string
		path   string
		want   bool
	}{
		{"admin", Write, "edge-1", "/", true},
		{"noc", Read, "edge-1", "/", true},
		{"noc", Subscribe, "nwmo", "/commits", true},
		{"noc", Write, "edge-1", "/interfaces", false},
		{"ops", Write, "core-1", "/interfaces/interface[name=eth0]/config/mtu", true},
		{"ops", Write, "core-1", "/interfaces/interface[name=eth0]", true},
		{"ops", Write, "core-1", "/interfaces/interface[name=eth1]/config/mtu", false},
		// A wildcard in the request may match what the rule does not.
		{"ops", Write, "core-1", "/interfaces/interface[name=*]/config/mtu", false},
		{"ops", Write, "core-1", "/interfaces/*", false},
		{"ops", Write, "core-1", "/...", false},
		// Shallower than the rule: the request would reach beyond it.
		{"ops", Write, "core-1", "/interfaces", false},
		{"ops", Write, "core-1", "/", false},
		// Module prefixes in the file are dropped: requests are canonical.
		{"ops", Write, "core-1", "/system/config/hostname", true},
		{"ops", Write, "core-1", "/network-instances/network-instance[name=blue]/config/type", true},
		{"ops", Write, "edge-1", "/interfaces/interface[name=eth0]", false},
		{"ops", Write, "nwmo", "/system/config", true},
		{"ops", Read, "edge-1", "/", true}, // from viewer
		{"nobody", Read, "edge-1", "/", false},
		{"admin", Action(7), "edge-1", "/", false},
	} {
		if got := p.Allowed(c.user, c.action, c.target, elems(t, c.path)); got != c.want {
			t.Errorf("Allowed(%s, %s, %s, %s) = %v, want %v", c.user, c.action, c.target, c.path, got, c.want)
		}
	}
}

func TestSees(t *testing.T) {
	p := policy(t, `
users:
  admin: {roles: [admin]}
  ops: {roles: [core-ops]}
roles:
  admin:
    - actions: [read]
  core-ops:
    - targets: [core-*, nwmo]
      paths: [/interfaces]
      actions: [write]
`)
	for _, c := range []struct {
		user, target string
		want         bool
	}{
		{"admin", "edge-1", true},
		{"ops", "core-1", true},
		{"ops", "nwmo", true},
		{"ops", "edge-1", false},
		{"nobody", "core-1", false},
	} {
		if got := p.Sees(c.user, c.target); got != c.want {
			t.Errorf("Sees(%s, %s) = %v, want %v", c.user, c.target, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"empty", `roles: {}`, "no users"},
		{"unknown key", "users: {a: {roles: [r], password: x}}\nroles: {r: [{actions: [read]}]}", "field password not found"},
		{"unknown role", "users: {a: {roles: [root]}}\nroles: {r: [{actions: [read]}]}", `no role "root" (roles: r)`},
		{"no roles", "users: {a: {}}\nroles: {r: [{actions: [read]}]}", "user a has no roles"},
		{"bad hash", "users: {a: {roles: [r], password-hash: secret}}\nroles: {r: [{actions: [read]}]}", "not a bcrypt hash"},
		{"bad action", "users: {a: {roles: [r]}}\nroles: {r: [{actions: [delete]}]}", `role r, rule 1: action "delete"`},
		{"no actions", "users: {a: {roles: [r]}}\nroles: {r: [{targets: [x]}]}", "no actions"},
		{"bad pattern", "users: {a: {roles: [r]}}\nroles: {r: [{targets: ['core-['], actions: [read]}]}", `target pattern "core-["`},
		{"relative path", "users: {a: {roles: [r]}}\nroles: {r: [{paths: [interfaces], actions: [read]}]}", "does not start at the root"},
		{"bad path", "users: {a: {roles: [r]}}\nroles: {r: [{paths: ['/interfaces/interface[name=eth0'], actions: [read]}]}", "/interfaces/interface[name=eth0"},
		{"any level", "users: {a: {roles: [r]}}\nroles: {r: [{paths: [/interfaces/...], actions: [read]}]}", "drop the ..."},
		{"duplicate user", "users: {a: {roles: [r]}, a: {roles: [r]}}\nroles: {r: [{actions: [read]}]}", "already defined"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	p := policy(t, `
users:
  alice: {password-hash: "`+hash(t, "s3cret")+`", roles: [r]}
  robot: {roles: [r]}
roles:
  r: [{actions: [read]}]
`)
	ctx := context.Background()
	if err := p.Authenticate(ctx, "alice", "s3cret"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if p.users["alice"].verified.Load() == nil {
		t.Fatal("a verified password is not remembered")
	}
	// Remembered: the same password passes, another does not, and the
	// one remembered stays the right one.
	if err := p.Authenticate(ctx, "alice", "s3cret"); err != nil {
		t.Errorf("right password again: %v", err)
	}
	for _, c := range []struct{ user, password string }{
		{"alice", "s3cret "}, {"alice", ""}, {"bob", "s3cret"}, {"robot", ""}, {"robot", "x"},
	} {
		if err := p.Authenticate(ctx, c.user, c.password); err != ErrBadCredentials {
			t.Errorf("Authenticate(%q, %q) = %v, want ErrBadCredentials", c.user, c.password, err)
		}
	}
	if err := p.Authenticate(ctx, "alice", "s3cret"); err != nil {
		t.Errorf("right password after wrong ones: %v", err)
	}
	// A digest remembered by one policy means nothing to the next.
	q := policy(t, `
users:
  alice: {password-hash: "`+hash(t, "s3cret")+`", roles: [r]}
roles:
  r: [{actions: [read]}]
`)
	if p.digest("alice", "s3cret") == q.digest("alice", "s3cret") {
		t.Error("two policies share a password digest")
	}
	if !p.Known("robot") || p.Known("bob") {
		t.Error("Known is wrong")
	}
}

// Wrong passwords queue for the two bcrypt slots; one whose context ends
// while it waits gives up with the context's error.
func TestAuthenticateWaitsForBcrypt(t *testing.T) {
	p := policy(t, `
users:
  alice: {password-hash: "`+hash(t, "s3cret")+`", roles: [r]}
  robot: {roles: [r]}
roles:
  r: [{actions: [read]}]
`)
	p.bcrypts <- struct{}{}
	p.bcrypts <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.Authenticate(ctx, "alice", "wrong"); err != context.DeadlineExceeded {
		t.Errorf("with both slots taken: %v, want DeadlineExceeded", err)
	}
	// So do names with no password, unknown or certificate-only: were they
	// refused at once, the time of the answer would tell which names have
	// a password.
	for _, name := range []string{"bob", "robot"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		if err := p.Authenticate(ctx, name, "wrong"); err != context.DeadlineExceeded {
			t.Errorf("%s with both slots taken: %v, want DeadlineExceeded", name, err)
		}
		cancel()
	}
}

func TestControlReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "access.yaml")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("users: {a: {roles: [r]}}\nroles: {r: [{actions: [read]}]}\n")
	c, err := Open(file)
	if err != nil {
		t.Fatal(err)
	}
	root := elems(t, "/")
	if !c.Policy().Allowed("a", Read, "x", root) || c.Policy().Allowed("a", Write, "x", root) {
		t.Fatal("first policy is wrong")
	}
	write("users: {a: {roles: [r]}}\nroles: {r: [{actions: [read, write]}]}\n")
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	if !c.Policy().Allowed("a", Write, "x", root) {
		t.Error("the reloaded policy is not in force")
	}
	write("users: {a: {roles: [nope]}}\n")
	if err := c.Reload(); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("reloading a bad file: %v, want an error naming it", err)
	}
	if !c.Policy().Allowed("a", Write, "x", root) {
		t.Error("a bad file replaced the policy in force")
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("pw")) != nil {
		t.Error("the hash does not match its password")
	}
	if _, err := HashPassword(""); err == nil {
		t.Error("an empty password was hashed")
	}
}

// The check of a password already accepted, which every RPC of a
// logged-in gnmic pays.
func BenchmarkAuthenticateRemembered(b *testing.B) {
	h, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	p, err := Parse([]byte("users: {alice: {password-hash: \"" + string(h) + "\", roles: [r]}}\nroles: {r: [{actions: [read]}]}\n"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := p.Authenticate(ctx, "alice", "s3cret"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := p.Authenticate(ctx, "alice", "s3cret"); err != nil {
			b.Fatal(err)
		}
	}
}
