package datastore

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/oc"
)

// The crash test runs a child process (this test binary, re-executed) that
// commits in a loop and prints "ack ID K" for every acknowledged commit;
// the parent kills it with SIGKILL at random moments, reopens the store on
// the same directory and checks that every acknowledged commit is there
// and that no commit is partly visible. Each commit writes the value K to
// three leaves at once, and every 25th one replaces 12,000 interfaces (a
// change that spans several Badger transactions and is larger than a log
// segment), so that a torn commit would show.

const crashChildEnv = "NWMO_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func crashChild(dir string) {
	// Small log segments, so that kills land while segments are switched,
	// released and recycled too.
	opts := DefaultOptions(dir).WithSnapshotEvery(20_000)
	opts.JournalSegmentSize = 1 << 20
	s, err := Open(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	k := recoveredK(s) + 1
	if k == 1 {
		ops := []tree.Op{{Kind: tree.Update, Path: mustPath("/targets/target[name=sim-0]/config"),
			Value: jsonVal(`{"name":"sim-0","address":"127.0.0.1:1","adapter":"none"}`)}}
		if _, err := s.Set(context.Background(), Request{Target: ServerTarget, Ops: ops}); err != nil {
			fmt.Fprintln(os.Stderr, "child inventory:", err)
			os.Exit(3)
		}
	}
	out := bufio.NewWriter(os.Stdout)
	for ; ; k++ {
		var ops []tree.Op
		if k%25 == 0 {
			ops = append(ops, tree.Op{Kind: tree.Replace, Path: mustPath("/interfaces"), Value: jsonVal(bulkInterfaces(12_000, k))})
		}
		for i := 0; i < 3; i++ {
			ops = append(ops, tree.Op{Kind: tree.Update, Path: mustPath(fmt.Sprintf("/interfaces/interface[name=eth%d]/config/description", i)),
				Value: strVal("v" + strconv.Itoa(k))})
		}
		res, err := s.Set(context.Background(), Request{Target: "sim-0", Ops: ops})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child set:", err)
			os.Exit(3)
		}
		fmt.Fprintf(out, "ack %d %d\n", res.ID, k)
		out.Flush()
	}
}

func mustPath(p string) []*gpb.PathElem {
	gp, err := ygot.StringToStructuredPath(p)
	if err != nil {
		panic(err)
	}
	return gp.GetElem()
}

func bulkInterfaces(n, k int) string {
	var b strings.Builder
	b.WriteString(`{"interface":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"eth%d","config":{"name":"eth%d","mtu":%d,"description":"bulk %d"}}`, i, i, 1000+k%500, k)
	}
	b.WriteString(`]}`)
	return b.String()
}

// recoveredK returns the K of the last commit in the store, checking that
// the three leaves agree.
func recoveredK(s *Store) int {
	k := -1
	err := s.View("sim-0", func(root ygot.GoStruct, _ *tree.Schema) error {
		d := root.(*oc.Device)
		for i := 0; i < 3; i++ {
			desc := d.GetInterfaces().GetInterface(fmt.Sprintf("eth%d", i)).GetConfig().GetDescription()
			v, err := strconv.Atoi(strings.TrimPrefix(desc, "v"))
			if err != nil {
				return fmt.Errorf("eth%d description %q", i, desc)
			}
			if k >= 0 && v != k {
				return fmt.Errorf("torn commit: eth0..eth%d descriptions differ (%d, %d)", i, k, v)
			}
			k = v
		}
		return nil
	})
	if err != nil {
		if strings.Contains(err.Error(), "not managed") {
			return 0
		}
		panic(err)
	}
	return k
}

func TestCrashRecovery(t *testing.T) {
	rounds := 6
	if v, err := strconv.Atoi(os.Getenv("NWMO_CRASH_ROUNDS")); err == nil {
		rounds = v
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("seed %d, %d rounds", seed, rounds)
	lastK, total := 0, 0
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acks := map[uint64]int{}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// The clock starts at the first acknowledgement: starting up (the
		// schema is compiled at start) takes long under the race detector.
		var kill <-chan time.Time
		started := false
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				var id uint64
				var k int
				if _, err := fmt.Sscanf(l, "ack %d %d", &id, &k); err == nil {
					acks[id] = k
				}
				if !started {
					started = true
					kill = time.After(time.Duration(5+rng.IntN(2500)) * time.Millisecond)
				}
			case <-kill:
				cmd.Process.Signal(syscall.SIGKILL)
				kill = nil
			}
		}
		cmd.Wait()
		if stderr.Len() > 0 {
			t.Fatalf("round %d: child failed: %s", round, stderr.String())
		}

		opts := DefaultOptions(dir).WithLogger(testLogger(t))
		opts.JournalSegmentSize = 1 << 20
		s, err := Open(opts)
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		k := recoveredK(s)
		maxAck := lastK
		for id, ak := range acks {
			h, _, err := s.Commit(id)
			if err != nil || h.Status != StatusCommitted {
				t.Errorf("round %d: acknowledged commit %d (k=%d) lost: %+v %v", round, id, ak, h, err)
			}
			maxAck = max(maxAck, ak)
		}
		if k < maxAck {
			t.Errorf("round %d: recovered k=%d but k=%d was acknowledged", round, k, maxAck)
		}
		s.Close()
		t.Logf("round %d: %d commits acknowledged, recovered at k=%d", round, len(acks), k)
		lastK, total = k, total+len(acks)
	}
	if total == 0 {
		t.Fatal("the child acknowledged no commit at all")
	}
}
