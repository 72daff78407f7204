package e2e

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// simProc is an nwmo-sim process under test.
type simProc struct {
	cmd   *exec.Cmd
	log   *procLog
	done  chan struct{}
	addrs map[string]string // element name -> HOST:PORT
}

// startSim runs nwmo-sim with count elements on free loopback ports and
// returns once they serve; it is stopped with SIGTERM when t ends.
func startSim(t testing.TB, count int, args ...string) *simProc {
	t.Helper()
	args = append([]string{"--listen", "127.0.0.1:0", "--count", fmt.Sprint(count), "--log-format", "json"}, args...)
	p := &simProc{log: newProcLog(func(s string) { t.Log("nwmo-sim: " + s) }), done: make(chan struct{}), addrs: map[string]string{}}
	p.cmd = exec.Command(binPath("nwmo-sim"), args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	t.Logf("starting nwmo-sim %s", quoteArgs(args))
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.log.flush()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			t.Error("nwmo-sim did not stop on SIGTERM")
		}
		if lines, _ := p.log.since(0); len(lines) > 0 {
			for _, l := range lines {
				if strings.Contains(l.Raw, "WARNING: DATA RACE") {
					t.Error("nwmo-sim reported a DATA RACE")
					break
				}
			}
		}
	})
	deadline := time.After(startTimeout)
	next := 0
	for {
		lines, changed := p.log.since(next)
		next += len(lines)
		for _, l := range lines {
			switch l.Msg() {
			case "element serving":
				p.addrs[l.Attr("name")] = l.Attr("addr")
			case "serving elements":
				if len(p.addrs) != count {
					t.Fatalf("nwmo-sim logged %d element addresses, want %d", len(p.addrs), count)
				}
				return p
			}
		}
		select {
		case <-changed:
		case <-p.done:
			t.Fatal("nwmo-sim exited before serving")
		case <-deadline:
			t.Fatal("nwmo-sim did not start")
		}
	}
}

// addSims puts a separate nwmo-sim's elements in nwmod's inventory with
// gnmic, as an operator would.
func addSims(t testing.TB, nwmod string, sims *simProc) {
	t.Helper()
	var entries []string
	for name, addr := range sims.addrs {
		entries = append(entries, fmt.Sprintf(`{"name":%q,"config":{"name":%q,"address":%q,"adapter":"gnmi"}}`, name, name, addr))
	}
	f := writeFile(t, "targets.json", `{"target":[`+strings.Join(entries, ",")+`]}`)
	mustGnmic(t, nwmod, "--target", "nwmo", "-e", "json_ietf", "set", "--update-path", "/targets", "--update-file", f)
}

// TestSouthboundPushGnmic: elements of a separate nwmo-sim are added to
// nwmod's inventory over gNMI; a Set on sim-0 through nwmod reaches the
// element, as a Get straight at its own port shows; a Set the element
// refuses fails, names it, and changes nothing.
func TestSouthboundPushGnmic(t *testing.T) {
	t.Parallel()
	sims := startSim(t, 2, "--reject", "sim-1")
	n := startNwmod(t)
	addSims(t, n.Addr(), sims)

	mustGnmic(t, n.Addr(), "--target", "sim-0", "set",
		"--update-path", "/interfaces/interface[name=eth0]/config/mtu", "--update-value", "9000")
	got := flatGet(t, sims.addrs["sim-0"], "--path", "/interfaces/interface[name=eth0]/config/mtu")
	if v := got["interfaces/interface[name=eth0]/config/mtu"]; v != "9000" {
		t.Errorf("mtu at sim-0's own port = %q, want 9000 (flat output %v)", v, got)
	}
	// The element's state follows, as a device's does.
	got = flatGet(t, sims.addrs["sim-0"], "--path", "/interfaces/interface[name=eth0]/state/mtu")
	if v := got["interfaces/interface[name=eth0]/state/mtu"]; v != "9000" {
		t.Errorf("state mtu at sim-0's own port = %q, want 9000", v)
	}

	_, err := gnmic(t, n.Addr(), "--target", "sim-1", "set",
		"--update-path", "/interfaces/interface[name=eth0]/config/mtu", "--update-value", "9000")
	var ge *GnmicError
	if err == nil || !errors.As(err, &ge) || !strings.Contains(ge.Stderr, "sim-1") {
		t.Fatalf("Set on a rejecting element: %v, want an error naming sim-1", err)
	}
	got = flatGet(t, sims.addrs["sim-1"], "--path", "/interfaces/interface[name=eth0]/config/mtu")
	if v := got["interfaces/interface[name=eth0]/config/mtu"]; v != "1500" {
		t.Errorf("mtu at sim-1 after a refused Set = %q, want 1500", v)
	}
	got = flatGet(t, n.Addr(), "--target", "sim-1", "--path", "/interfaces/interface[name=eth0]/config/mtu")
	if v := got["interfaces/interface[name=eth0]/config/mtu"]; v != "1500" {
		t.Errorf("running mtu of sim-1 after a refused Set = %q, want 1500", v)
	}
}

// TestSouthboundStateGnmic: nwmod reports its connection to an element
// under /targets/target[name]/state on target nwmo.
func TestSouthboundStateGnmic(t *testing.T) {
	t.Parallel()
	sims := startSim(t, 1)
	n := startNwmod(t)
	addSims(t, n.Addr(), sims)
	path := "/targets/target[name=sim-0]/state/connected"
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := gnmic(t, n.Addr(), "--target", "nwmo", "get", "--format", "flat", "--path", path)
		if err == nil && flat(out)["targets/target[name=sim-0]/state/connected"] == "true" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became true on target nwmo: %v\n%s", path, err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSimFlagGnmic: nwmod --sim 2 serves sim-0 and sim-1 at once, as
// make run does, and a Set on sim-0 reaches the in-process element.
func TestSimFlagGnmic(t *testing.T) {
	t.Parallel()
	n := startNwmod(t, "--sim", "2")
	sim0 := n.WaitLog(t, func(l LogLine) bool { return l.Msg() == "simulated element" && l.Attr("name") == "sim-0" }).Attr("addr")
	mustGnmic(t, n.Addr(), "--target", "sim-0", "set",
		"--update-path", "/interfaces/interface[name=eth0]/config/mtu", "--update-value", "9000")
	got := flatGet(t, sim0, "--path", "/interfaces/interface[name=eth0]/config/mtu")
	if v := got["interfaces/interface[name=eth0]/config/mtu"]; v != "9000" {
		t.Errorf("mtu at sim-0 = %q, want 9000", v)
	}
	// Adopted from the element when it was first connected.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := gnmic(t, n.Addr(), "--target", "sim-1", "get", "--format", "flat", "--path", "/system/config/hostname")
		if err == nil && flat(out)["system/config/hostname"] == "sim-1" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("running hostname of sim-1 is not the element's own sim-1: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestUnreachableAlarmGnmic: an element whose address has nothing
// listening raises ELEMENT_UNREACHABLE on target nwmo, as gnmic get
// /alarms shows.
func TestUnreachableAlarmGnmic(t *testing.T) {
	t.Parallel()
	n := startNwmod(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	f := writeFile(t, "r1.json", `{"name":"r1","address":"`+dead+`","adapter":"gnmi","timeout":1000}`)
	mustGnmic(t, n.Addr(), "--target", "nwmo", "-e", "json_ietf", "set", "--update-path", "/targets/target[name=r1]/config", "--update-file", f)

	// gnmic's flat format spells the list key as a path element.
	entry := "alarms/alarm/ELEMENT_UNREACHABLE/r1/state/"
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := gnmic(t, n.Addr(), "--target", "nwmo", "get", "--format", "flat", "--path", "/alarms")
		got := flat(out)
		if err == nil && got[entry+"type-id"] == "ELEMENT_UNREACHABLE" {
			if got[entry+"severity"] != "major" || got[entry+"resource"] != "r1" || !strings.Contains(got[entry+"text"], dead) {
				t.Errorf("alarm ELEMENT_UNREACHABLE/r1: %v; want severity major, resource r1, a text naming %s", got, dead)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ELEMENT_UNREACHABLE alarm for r1 on target nwmo: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
