package e2e

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSubscribeGnmic(t *testing.T) {
	t.Parallel()
	n := startNwmod(t, "--min-sample-interval", "50ms")
	addr := n.Addr()
	addElement(t, addr, "sim-0")
	addInterfaces(t, addr, "sim-0", "eth0", "eth1")
	mtu0 := "interfaces/interface[name=eth0]/config/mtu"
	mtu1 := "interfaces/interface[name=eth1]/config/mtu"
	setMTU := func(t *testing.T, name, v string) {
		t.Helper()
		mustGnmic(t, addr, "--target", "sim-0", "set", "--update-path", "/interfaces/interface[name="+name+"]/config/mtu", "--update-value", v)
	}
	sub := func(args ...string) []string {
		return append([]string{"--target", "sim-0", "-e", "proto", "--format", "flat", "subscribe"}, args...)
	}
	// In stream mode gnmic does not show the sync_response, and logs
	// errors (it retries them) only with --log.
	stream := func(args ...string) []string {
		return append([]string{"--log"}, sub(append([]string{"--mode", "stream"}, args...)...)...)
	}

	t.Run("once", func(t *testing.T) {
		got := flat(mustGnmic(t, addr, sub("--mode", "once", "--path", "/interfaces/interface/config/mtu")...))
		if got[mtu0] != "1500" || got[mtu1] != "1500" || len(got) != 2 {
			t.Errorf("once: %v", got)
		}
		if out := mustGnmic(t, addr, sub("--mode", "once", "--updates-only", "--path", "/interfaces")...); strings.Contains(out, "interfaces/") {
			t.Errorf("once --updates-only sent values:\n%s", out)
		}
	})

	t.Run("poll", func(t *testing.T) {
		p := startGnmic(t, addr, sub("--mode", "poll", "--path", "/interfaces/interface[name=eth0]/config/mtu")...)
		p.waitFor("received sync response", 1)
		setMTU(t, "eth0", "1600")
		// gnmic asks which target and which subscription to poll: Enter
		// takes the only one of each.
		for i := 2; i <= 3; i++ {
			time.Sleep(300 * time.Millisecond)
			p.stdin.Write([]byte("\n"))
			time.Sleep(300 * time.Millisecond)
			p.stdin.Write([]byte("\n"))
			p.waitFor("received sync response", i)
		}
		p.waitFor(mtu0+": 1600", 2)
	})

	t.Run("stream on-change", func(t *testing.T) {
		// JSON output, which shows deletes (flat does not).
		args := stream("--stream-mode", "on-change", "--path", "/interfaces/interface/config/mtu")
		args[slices.Index(args, "flat")] = "json"
		p := startGnmic(t, addr, args...)
		p.waitFor(`"Path": "`+mtu1+`"`, 1)
		setMTU(t, "eth1", "9000")
		p.waitFor(`"Path": "`+mtu1+`"`, 2)
		p.waitFor(`: 9000`, 1)
		if strings.Count(p.output(), `"Path": "`+mtu0+`"`) != 1 {
			t.Errorf("an unchanged leaf was sent again:\n%s", p.output())
		}
		mustGnmic(t, addr, "--target", "sim-0", "set", "--delete", "/interfaces/interface[name=eth1]/config/mtu")
		p.waitFor(`"deletes"`, 1)
		p.waitFor(mtu1, 3) // initial, change, delete
	})

	t.Run("stream on-change updates-only", func(t *testing.T) {
		p := startGnmic(t, addr, stream("--stream-mode", "on-change", "--updates-only", "--path", "/interfaces/interface/config/mtu")...)
		p.untilPrinted(func(i int) string {
			v := strconv.Itoa(1650 + i)
			setMTU(t, "eth0", v)
			return mtu0 + ": " + v
		})
		setMTU(t, "eth0", "1700")
		p.waitFor(mtu0+": 1700", 1)
		if strings.Contains(p.output(), mtu0+": 1600") {
			t.Errorf("updates-only sent the current state:\n%s", p.output())
		}
	})

	t.Run("stream target-defined", func(t *testing.T) {
		p := startGnmic(t, addr, stream("--stream-mode", "target-defined", "--path", "/interfaces/interface[name=eth0]/config/mtu")...)
		p.waitFor(mtu0+": 1700", 1)
		setMTU(t, "eth0", "1750")
		p.waitFor(mtu0+": 1750", 1)
	})

	t.Run("stream on-change with heartbeat", func(t *testing.T) {
		p := startGnmic(t, addr, stream("--stream-mode", "on-change", "--heartbeat-interval", "200ms",
			"--path", "/interfaces/interface[name=eth0]/config/mtu")...)
		// No change, yet the value comes again with each heartbeat.
		p.waitFor(mtu0+": 1750", 3)
		setMTU(t, "eth0", "1800")
		p.waitFor(mtu0+": 1800", 1)
	})

	t.Run("stream sample", func(t *testing.T) {
		p := startGnmic(t, addr, stream("--stream-mode", "sample", "--sample-interval", "100ms",
			"--path", "/interfaces/interface[name=eth0]/config/mtu")...)
		p.waitFor(mtu0+": 1800", 4) // the initial value and 3 samples
	})

	t.Run("stream sample suppress-redundant with heartbeat", func(t *testing.T) {
		p := startGnmic(t, addr, stream("--stream-mode", "sample", "--sample-interval", "50ms",
			"--suppress-redundant", "--heartbeat-interval", "1s", "--path", "/interfaces/interface[name=eth0]/config")...)
		p.waitFor("config/name: eth0", 1)
		start := time.Now()
		setMTU(t, "eth0", "1900")
		p.waitFor(mtu0+": 1900", 1)
		if strings.Count(p.output(), "config/name: eth0") != 1 {
			t.Errorf("an unchanged leaf was sampled again before the heartbeat:\n%s", p.output())
		}
		p.waitFor("config/name: eth0", 2) // the heartbeat
		if d := time.Since(start); d < 500*time.Millisecond {
			t.Errorf("the heartbeat came after %v, before its 1s", d)
		}
	})

	t.Run("stream on-change of nwmo's commits", func(t *testing.T) {
		lastID := func() int {
			last := 0
			for _, v := range flatGet(t, addr, "--target", "nwmo", "-e", "proto", "--path", "/commits/commit/state/id") {
				n, _ := strconv.Atoi(v)
				last = max(last, n)
			}
			return last
		}
		before := lastID()
		args := stream("--stream-mode", "on-change", "--updates-only", "--path", "/commits/commit/state/status")
		args[slices.Index(args, "sim-0")] = "nwmo"
		p := startGnmic(t, addr, args...)
		p.untilPrinted(func(i int) string {
			setMTU(t, "eth0", strconv.Itoa(1950+i))
			return "/state/status: committed"
		})
		// updates_only: the commits made before are not sent, only new ones.
		for _, m := range regexp.MustCompile(`commits/commit\[id=(\d+)\]/state/status: `).FindAllStringSubmatch(p.output(), -1) {
			if id, _ := strconv.Atoi(m[1]); id <= before {
				t.Errorf("updates-only on-change sent commit %d, made before the subscription (the newest then was %d):\n%s", id, before, p.output())
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, args := range [][]string{
			stream("--stream-mode", "target-defined", "--sample-interval", "1s", "--path", "/interfaces"),
			stream("--stream-mode", "sample", "--sample-interval", "1ms", "--path", "/interfaces"),
		} {
			startGnmic(t, addr, args...).waitFor("InvalidArgument", 1)
		}
		_, err := gnmic(t, addr, sub("--mode", "once", "--path", "/bogus")...)
		if err == nil || !strings.Contains(err.(*GnmicError).Stderr, "NotFound") {
			t.Errorf("once on a path not in the schema: %v, want NotFound", err)
		}
	})
}

// TestShutdownWithSubscriptions: nwmod ends its subscriptions on SIGTERM
// instead of waiting for them until --shutdown-timeout.
func TestShutdownWithSubscriptions(t *testing.T) {
	t.Parallel()
	n := startNwmod(t, "--shutdown-timeout", "30s")
	addElement(t, n.Addr(), "sim-0")
	p := startGnmic(t, n.Addr(), "-e", "proto", "--format", "flat", "subscribe",
		"--mode", "stream", "--stream-mode", "on-change", "--path", "/targets")
	p.waitFor("targets/target[name=sim-0]/config/name: sim-0", 1)
	start := time.Now()
	n.Stop(t)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("nwmod took %v to stop with a subscription open", d)
	}
}
