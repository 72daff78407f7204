package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hashPassword makes a password hash with the real `nwmo hash-password`,
// the password piped in as a script would.
func hashPassword(t testing.TB, password string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath("nwmo"), "hash-password")
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nwmo hash-password: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// auditRecord is a line of nwmod's audit trail.
type auditRecord struct {
	User, RPC, Target, Code, Error string
	Commit                         uint64
	Ops                            []struct{ Op, Path string }
}

// waitAudit reads the audit trail until match finds a record, for up to
// ten seconds: the trail is written a few milliseconds behind.
func waitAudit(t testing.TB, file string, match func(auditRecord) bool) auditRecord {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if f, err := os.Open(file); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var r auditRecord
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Fatalf("audit line %q: %v", sc.Text(), err)
				}
				if match(r) {
					f.Close()
					return r
				}
			}
			f.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("no such record in %s", file)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAccessControl runs nwmod with an access file: users log in with
// gnmic -u -p (and nwmo -u -p), roles limit what they may write, the
// audit trail records who did what, and SIGHUP reloads the file.
func TestAccessControl(t *testing.T) {
	t.Parallel()
	adminHash, nocHash := hashPassword(t, "admin-pw"), hashPassword(t, "noc-pw")
	dir := t.TempDir()
	accessFile := filepath.Join(dir, "access.yaml")
	writeAccess := func(nocActions string) {
		t.Helper()
		if err := os.WriteFile(accessFile, []byte(`users:
  admin: {password-hash: "`+adminHash+`", roles: [admin]}
  noc: {password-hash: "`+nocHash+`", roles: [noc]}
roles:
  admin:
    - actions: [read, write, subscribe]
  noc:
    - targets: [sim-*]
      paths: [/interfaces]
      actions: [`+nocActions+`]
`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeAccess("read, subscribe")
	n := startNwmod(t, "--access-file", accessFile)
	addr := n.Addr()
	auditFile := filepath.Join(n.DataDir(), "audit.log")
	admin := []string{"-u", "admin", "-p", "admin-pw"}
	noc := []string{"-u", "noc", "-p", "noc-pw"}

	if _, err := gnmic(t, addr, "--timeout", "5s", "capabilities"); err == nil || !strings.Contains(err.Error(), "Unauthenticated") {
		t.Errorf("capabilities without credentials: %v, want Unauthenticated", err)
	}
	if _, err := gnmic(t, addr, "-u", "noc", "-p", "wrong", "--timeout", "5s", "capabilities"); err == nil ||
		!strings.Contains(err.Error(), "invalid username or password") {
		t.Errorf("capabilities with a wrong password: %v", err)
	}
	element := writeFile(t, "sim-0.json", `{"name":"sim-0","address":"127.0.0.1:1","adapter":"none"}`)
	mustGnmic(t, addr, append(admin, "set", "--update-path", "/targets/target[name=sim-0]/config", "--update-file", element)...)
	descr := "/interfaces/interface[name=eth0]/config/description"
	mustGnmic(t, addr, append(admin, "--target", "sim-0", "set", "--update-path", descr, "--update-value", "uplink")...)

	// noc may read /interfaces, not write it, nor read the rest.
	if got := flatGet(t, addr, append(noc, "--target", "sim-0", "--path", "/interfaces")...); got["interfaces/interface/eth0/config/description"] != "uplink" {
		t.Errorf("noc's get of /interfaces: %v", got)
	}
	_, err := gnmic(t, addr, append(noc, "--target", "sim-0", "get", "--path", "/system")...)
	if err == nil || !strings.Contains(err.Error(), "user noc may not read /system on sim-0") {
		t.Errorf("noc's get of /system: %v, want PermissionDenied", err)
	}
	_, err = gnmic(t, addr, append(noc, "--target", "sim-0", "set", "--update-path", descr, "--update-value", "noc was here")...)
	if err == nil || !strings.Contains(err.Error(), "PermissionDenied") || !strings.Contains(err.Error(), "user noc may not write "+descr+" on sim-0") {
		t.Errorf("noc's set: %v, want PermissionDenied naming the path", err)
	}
	waitAudit(t, auditFile, func(r auditRecord) bool {
		return r.User == "noc" && r.RPC == "gnmi.Set" && r.Code == "PermissionDenied" && r.Target == "sim-0" &&
			len(r.Ops) == 1 && r.Ops[0].Path == descr
	})

	// The nwmo CLI logs in the same way.
	if out, errOut, exit := nwmoCLI(t, addr, "history"); exit != 1 || !strings.Contains(errOut, "Unauthenticated") {
		t.Errorf("nwmo history without credentials: exit %d, %s%s", exit, out, errOut)
	}
	if out := mustNwmoCLI(t, addr, append(admin, "history", "--element", "sim-0")...); !strings.Contains(out, "admin") {
		t.Errorf("nwmo history:\n%s", out)
	}
	if _, errOut, exit := nwmoCLI(t, addr, append(noc, "rollback", "1")...); exit != 1 || !strings.Contains(errOut, "PermissionDenied") {
		t.Errorf("noc's rollback: exit %d, %s", exit, errOut)
	}

	// SIGHUP: noc may now write /interfaces.
	writeAccess("read, write, subscribe")
	n.Signal(t, syscall.SIGHUP)
	n.WaitLogMsg(t, "access file reloaded")
	mustGnmic(t, addr, append(noc, "--target", "sim-0", "set", "--update-path", descr, "--update-value", "noc was here")...)
	rec := waitAudit(t, auditFile, func(r auditRecord) bool {
		return r.User == "noc" && r.RPC == "gnmi.Set" && r.Code == "OK"
	})
	if rec.Commit == 0 {
		t.Errorf("noc's Set is recorded without its commit: %+v", rec)
	}
	if out := mustNwmoCLI(t, addr, append(admin, "history", "--user", "noc")...); !strings.Contains(out, "noc") {
		t.Errorf("the history has no commit of noc:\n%s", out)
	}
}

// TestAccessClientCertificate: with mutual TLS, a client certificate's
// common name is the user, who needs no password.
func TestAccessClientCertificate(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "nwmo-access")
	srvCert, srvKey := ca.issue(t, "nwmod", true)
	robotCert, robotKey := ca.issue(t, "robot", false)
	strangerCert, strangerKey := ca.issue(t, "stranger", false)
	accessFile := filepath.Join(t.TempDir(), "access.yaml")
	if err := os.WriteFile(accessFile, []byte(`users:
  robot: {roles: [all]}
roles:
  all: [{actions: [read, write, subscribe]}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	n := startNwmod(t, "--tls-cert", srvCert, "--tls-key", srvKey, "--tls-ca", ca.CAFile, "--access-file", accessFile)
	tlsArgs := func(cert, key string, args ...string) []string {
		return append([]string{"-a", n.Addr(), "--tls-ca", ca.CAFile, "--tls-cert", cert, "--tls-key", key, "--timeout", "10s"}, args...)
	}
	element := writeFile(t, "sim-0.json", `{"name":"sim-0","address":"127.0.0.1:1","adapter":"none"}`)
	if _, err := runGnmic(t, tlsArgs(robotCert, robotKey, "set", "--update-path", "/targets/target[name=sim-0]/config", "--update-file", element)...); err != nil {
		t.Fatalf("robot's set: %v", err)
	}
	_, err := runGnmic(t, tlsArgs(strangerCert, strangerKey, "capabilities")...)
	var ge *GnmicError
	if !errors.As(err, &ge) || !strings.Contains(ge.Stderr, `Unauthenticated`) || !strings.Contains(ge.Stderr, `"stranger" names no user`) {
		t.Errorf("a certificate naming no user: %v", err)
	}
	out, errOut, exit := nwmoCLI(t, n.Addr(), "--tls-ca", ca.CAFile, "--tls-cert", robotCert, "--tls-key", robotKey, "history")
	if exit != 0 || !strings.Contains(out, "robot") {
		t.Errorf("nwmo history as robot: exit %d\n%s%s", exit, out, errOut)
	}
}
