package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// nwmoCLI runs the nwmo CLI against addr and returns its output and exit
// status.
func nwmoCLI(t testing.TB, addr string, args ...string) (stdout, stderr string, exit int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath("nwmo"), append([]string{"-a", addr}, args...)...)
	var outb, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &errb
	t.Logf("$ nwmo %s", quoteArgs(args))
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		exit = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	t.Logf("%s%s", outb.String(), errb.String())
	return outb.String(), errb.String(), exit
}

func mustNwmoCLI(t testing.TB, addr string, args ...string) string {
	t.Helper()
	out, errOut, exit := nwmoCLI(t, addr, args...)
	if exit != 0 {
		t.Fatalf("nwmo %s: exit %d: %s", quoteArgs(args), exit, errOut)
	}
	return out
}

// TestNwmoCLI drives the history, a rollback and a candidate's life with
// the real nwmo CLI, against nwmod, with gnmic for the writes and reads.
// nwmo --help shows where credentials come from, never the password
// NWMO_PASSWORD holds.
func TestNwmoCLIHelpHidesPassword(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binPath("nwmo"), "--help")
	cmd.Env = append(os.Environ(), "NWMO_PASSWORD=s3cret-in-env", "NWMO_USERNAME=ops")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "--password") && !strings.Contains(string(out), "-password") {
		t.Fatalf("nwmo --help does not list --password:\n%s", out)
	}
	if strings.Contains(string(out), "s3cret-in-env") {
		t.Errorf("nwmo --help prints the password from NWMO_PASSWORD:\n%s", out)
	}
}

func TestNwmoCLI(t *testing.T) {
	t.Parallel()
	n := startNwmod(t)
	addr := n.Addr()
	addElement(t, addr, "sim-0")
	host := "/system/config/hostname"
	hostname := func(target string) string {
		return flatGet(t, addr, "--target", target, "-e", "json_ietf", "--path", host)["system/config/hostname"]
	}
	mustGnmic(t, addr, "--target", "sim-0", "set", "--update-path", host, "--update-value", "r1")
	mustGnmic(t, addr, "--target", "sim-0", "set", "--update-path", host, "--update-value", "r2")

	hist := mustNwmoCLI(t, addr, "history", "--element", "sim-0")
	if lines := strings.Split(strings.TrimSpace(hist), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") ||
		!strings.HasPrefix(lines[1], "2 ") || !strings.HasPrefix(lines[2], "3 ") {
		t.Fatalf("history of sim-0:\n%s", hist)
	}
	if out := mustNwmoCLI(t, addr, "show", "3"); !strings.Contains(out, `- /system/config/hostname: "r1"`) ||
		!strings.Contains(out, `+ /system/config/hostname: "r2"`) {
		t.Errorf("show 3:\n%s", out)
	}
	if out := mustNwmoCLI(t, addr, "rollback", "2", "-m", "back to r1"); !strings.Contains(out, "commit 4") {
		t.Errorf("rollback: %s", out)
	}
	if got := hostname("sim-0"); got != "r1" {
		t.Errorf("hostname %q after the rollback, want r1", got)
	}

	mustGnmic(t, addr, "--target", "sim-0@c1", "set", "--update-path", host, "--update-value", "r3")
	if out := mustNwmoCLI(t, addr, "candidates"); !strings.Contains(out, "c1 ") || !strings.Contains(out, "sim-0") {
		t.Errorf("candidates:\n%s", out)
	}
	if out := mustNwmoCLI(t, addr, "diff", "c1"); !strings.Contains(out, `+ /system/config/hostname: "r3"`) {
		t.Errorf("diff c1:\n%s", out)
	}
	if out := mustNwmoCLI(t, addr, "commit", "c1", "--confirm-id", "x", "--rollback-duration", "1h"); !strings.Contains(out, "commit 5") {
		t.Errorf("commit c1: %s", out)
	}
	if got := hostname("sim-0"); got != "r3" {
		t.Errorf("hostname %q after committing c1, want r3", got)
	}
	mustNwmoCLI(t, addr, "cancel", "x")
	if got := hostname("sim-0"); got != "r1" {
		t.Errorf("hostname %q after cancelling, want r1", got)
	}

	mustGnmic(t, addr, "--target", "sim-0@c2", "set", "--update-path", host, "--update-value", "r4")
	mustNwmoCLI(t, addr, "discard", "c2")
	if out := mustNwmoCLI(t, addr, "--json", "candidates"); strings.TrimSpace(out) != "{}" {
		t.Errorf("candidates after the discard: %s", out)
	}

	for _, c := range []struct {
		args []string
		exit int
		want string
	}{
		{[]string{"discard", "c2"}, 1, "NotFound"},
		{[]string{"show", "99"}, 1, "NotFound"},
		{[]string{"confirm", "x"}, 1, "FailedPrecondition"},
		{[]string{"show", "x"}, 2, "not a positive number"},
		{[]string{"rollback"}, 2, "takes ID"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"commit", "c9", "--rollback-duration", "1m"}, 2, "needs --confirm-id"},
		{[]string{"history", "--help"}, 0, "-element"},
		// The answer's limit is the client's, and can be lowered.
		{[]string{"--max-msg-size", "64", "show", "3"}, 1, "ResourceExhausted"},
	} {
		if _, errOut, exit := nwmoCLI(t, addr, c.args...); exit != c.exit || !strings.Contains(errOut, c.want) {
			t.Errorf("nwmo %s: exit %d, %q; want %d and %q", quoteArgs(c.args), exit, errOut, c.exit, c.want)
		}
	}
}
