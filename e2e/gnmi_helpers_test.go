package e2e

// Helpers for the gNMI tests: an element in nwmod's inventory, files for
// gnmic, gnmic's output, and gnmic running in the background.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
)

// writeFile writes a file for gnmic into a temporary directory and returns
// its path.
func writeFile(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// addElement adds element name to nwmod's inventory (adapter none: nothing
// is pushed) with gnmic, on target nwmo.
func addElement(t testing.TB, addr, name string) {
	t.Helper()
	f := writeFile(t, name+".json", `{"name":"`+name+`","address":"127.0.0.1:1","adapter":"none"}`)
	mustGnmic(t, addr, "set", "--update-path", "/targets/target[name="+name+"]/config", "--update-file", f)
}

// interfacesJSON is the RFC 7951 JSON of /interfaces with the named
// interfaces, each with an MTU of 1500 and a description.
func interfacesJSON(names ...string) string {
	var entries []string
	for _, n := range names {
		entries = append(entries, `{"name":"`+n+`","config":{"name":"`+n+`","mtu":1500,"description":"port `+n+`"}}`)
	}
	return `{"openconfig-interfaces:interface":[` + strings.Join(entries, ",") + `]}`
}

// addInterfaces configures interfaces on element target.
func addInterfaces(t testing.TB, addr, target string, names ...string) {
	t.Helper()
	f := writeFile(t, "interfaces.json", interfacesJSON(names...))
	mustGnmic(t, addr, "--target", target, "-e", "json_ietf", "set", "--update-path", "/interfaces", "--update-file", f)
}

// flat parses gnmic's --format flat output into path -> value.
func flat(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(k, "received ") {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// flatGet runs gnmic get --format flat.
func flatGet(t testing.TB, addr string, args ...string) map[string]string {
	t.Helper()
	return flat(mustGnmic(t, addr, append([]string{"get", "--format", "flat"}, args...)...))
}

// gnmicGetResponse is gnmic get's JSON output.
type gnmicGetResponse []struct {
	Target  string `json:"target"`
	Updates []struct {
		Path   string         `json:"Path"`
		Values map[string]any `json:"values"`
	} `json:"updates"`
}

func parseGet(t testing.TB, out string) gnmicGetResponse {
	t.Helper()
	var r gnmicGetResponse
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("gnmic get output: %v\n%s", err, out)
	}
	return r
}

// gnmicProc is gnmic running in the background, for subscriptions.
type gnmicProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	cancel context.CancelFunc
	stdin  *os.File // the write end of gnmic's stdin

	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (p *gnmicProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// startGnmic starts `gnmic -a addr --insecure args...` and stops it when
// t ends.
func startGnmic(t testing.TB, addr string, args ...string) *gnmicProc {
	t.Helper()
	args = append([]string{"-a", addr, "--insecure"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), gnmicTimeout)
	p := &gnmicProc{t: t, cancel: cancel, done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, binGnmic(), args...)
	p.cmd.Dir = gnmicHome
	p.cmd.Env = gnmicEnv()
	p.cmd.Stdout, p.cmd.Stderr = p, p
	p.cmd.WaitDelay = 5 * time.Second
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdin, p.stdin = r, w
	t.Logf("$ gnmic %s &", quoteArgs(args))
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		t.Logf("gnmic output:\n%s", p.output())
	})
	return p
}

func (p *gnmicProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor waits until the output holds want count times.
func (p *gnmicProc) waitFor(want string, count int) {
	p.t.Helper()
	deadline := time.Now().Add(logTimeout)
	for strings.Count(p.output(), want) < count {
		if time.Now().After(deadline) {
			p.t.Fatalf("gnmic did not print %q %d times within %v; output:\n%s", want, count, logTimeout, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// untilPrinted makes change number 0, 1, ... until gnmic prints what the
// change returns, half a second apart: for a subscription with
// updates_only, where nothing printed shows that it is in place, so that a
// first change may come before it and not be sent.
func (p *gnmicProc) untilPrinted(change func(i int) string) {
	p.t.Helper()
	deadline := time.Now().Add(logTimeout)
	for i := 0; ; i++ {
		want := change(i)
		for next := time.Now().Add(500 * time.Millisecond); time.Now().Before(next); time.Sleep(20 * time.Millisecond) {
			if strings.Contains(p.output(), want) {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("gnmic did not print %q within %v; output:\n%s", want, logTimeout, p.output())
		}
	}
}

// exited waits for gnmic to exit by itself and returns its exit code.
func (p *gnmicProc) exited() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(gnmicTimeout):
		p.t.Fatal("gnmic did not exit")
		return -1
	}
}

func (p *gnmicProc) stop() {
	p.stdin.Close()
	p.cancel()
	<-p.done
}

// gpath parses a gNMI path string for the Go client.
func gpath(t testing.TB, s string) *gpb.Path {
	t.Helper()
	p, err := ygot.StringToStructuredPath(s)
	if err != nil {
		t.Fatalf("path %q: %v", s, err)
	}
	return p
}
