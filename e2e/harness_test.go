package e2e

// The harness: building the binaries under test, running nwmod, running
// gnmic, and a Go gNMI client. See doc.go for an overview.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/buildinfo"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	modulePath = "github.com/nwmo/nwmo"
	// gnmicModule and gnmicVersion are the gnmic the tests are written
	// against (pinned in e2e/tools/go.mod).
	gnmicModule  = "github.com/openconfig/gnmic"
	gnmicVersion = "v0.37.0"

	// startTimeout bounds how long nwmod may take to log "serving gNMI".
	startTimeout = 30 * time.Second
	// stopTimeout bounds how long nwmod may take to exit after SIGTERM;
	// nwmod's own --shutdown-timeout defaults to 10s.
	stopTimeout = 30 * time.Second
	// logTimeout is how long WaitLog waits for a matching line.
	logTimeout = 30 * time.Second
	// gnmicTimeout bounds one run of the gnmic CLI.
	gnmicTimeout = 60 * time.Second
	// rpcTimeout bounds the context returned by rpcCtx.
	rpcTimeout = 30 * time.Second
	// maxMsgSize is the Go client's message size limit either way; whole
	// device configurations are large (nwmod allows 256 MiB, gnmic 512 MiB).
	maxMsgSize = 512 << 20
)

// commands are the binaries under cmd/ that TestMain builds; binPath finds
// them.
var commands = []string{"nwmod", "nwmo", "nwmo-sim"}

var (
	repoRoot  string // directory of nwmo's go.mod
	binDir    string // where TestMain built the commands
	gnmicBin  string // the gnmic CLI
	gnmicHome string // empty directory gnmic runs in, as its HOME too
	raceBuild bool   // the commands are built with -race
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "nwmo-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := setup(tmp); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: setup: %v\n", err)
		return 1
	}
	return m.Run()
}

// setup builds the commands into tmp and finds (or builds) gnmic.
func setup(tmp string) error {
	var err error
	if repoRoot, err = findRepoRoot(); err != nil {
		return err
	}
	binDir = filepath.Join(tmp, "bin")
	gnmicHome = filepath.Join(tmp, "gnmic-home")
	if err := os.MkdirAll(gnmicHome, 0o750); err != nil {
		return err
	}

	// Build the commands with the race detector when the tests have it, so
	// that races in the server under real load fail the tests.
	raceBuild = testBinaryHasRace()
	args := []string{"build", "-o", binDir + string(filepath.Separator)}
	if raceBuild {
		args = append(args, "-race")
	}
	for _, c := range commands {
		args = append(args, modulePath+"/cmd/"+c)
	}
	if err := goCmd(repoRoot, args...); err != nil {
		return fmt.Errorf("building %v: %w", commands, err)
	}

	if env := os.Getenv("NWMO_GNMIC"); env != "" {
		gnmicBin, err = filepath.Abs(env)
		if err != nil {
			return err
		}
		if _, err := os.Stat(gnmicBin); err != nil {
			return fmt.Errorf("NWMO_GNMIC: %w (run `make tools`, or unset NWMO_GNMIC to build bin/gnmic)", err)
		}
	} else {
		gnmicBin = filepath.Join(repoRoot, "bin", "gnmic")
		if _, err := os.Stat(gnmicBin); errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "e2e: %s is missing; building gnmic %s from e2e/tools (a few minutes the first time)\n", gnmicBin, gnmicVersion)
			if err := goCmd(filepath.Join(repoRoot, "e2e", "tools"), "build", "-o", gnmicBin, gnmicModule); err != nil {
				return fmt.Errorf("building gnmic: %w", err)
			}
		} else if err != nil {
			return err
		}
	}
	if v := moduleVersion(gnmicBin, gnmicModule); v != gnmicVersion {
		fmt.Fprintf(os.Stderr, "e2e: warning: %s is gnmic %q, the tests are written for %s\n", gnmicBin, v, gnmicVersion)
	}
	return nil
}

// goCmd runs the go command in dir, its output going to our stderr.
func goCmd(dir string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s (in %s): %w", strings.Join(args, " "), dir, err)
	}
	return nil
}

// findRepoRoot walks up from the working directory (the package directory
// under go test) to the directory whose go.mod declares nwmo's module.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && goModModule(data) == modulePath {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod of module %s in %s or above", modulePath, dir)
		}
		d = parent
	}
}

// goModModule returns the module path that a go.mod file declares.
func goModModule(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// testBinaryHasRace reports whether this test binary was built with -race.
func testBinaryHasRace() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// moduleVersion is the version of module mod that the Go binary at path
// was built from, or "" when it cannot be told.
func moduleVersion(path, mod string) string {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return ""
	}
	if bi.Main.Path == mod {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == mod {
			return d.Version
		}
	}
	return ""
}

// binPath is the path of the command built by TestMain.
func binPath(name string) string {
	noteInputs()
	return filepath.Join(binDir, name)
}

var noteInputsOnce sync.Once

// noteInputs stats, once, every source file of the module and the gnmic
// binary. go test caches a passing result keyed on the test binary and on
// the files and environment variables the tests looked at, and the binaries
// under test are not dependencies of the test binary: without this, a
// change to nwmod would not invalidate a cached e2e result. (It must run
// during the tests, not in TestMain, for go test to record it.)
func noteInputs() {
	noteInputsOnce.Do(func() {
		_ = filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if p != repoRoot && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin" || d.Name() == "var") {
					return filepath.SkipDir
				}
				return nil
			}
			switch filepath.Ext(p) {
			case ".go", ".mod", ".sum", ".yang", ".json":
				_, _ = os.Stat(p)
			}
			return nil
		})
		_, _ = os.Stat(gnmicBin)
	})
}

// ---------------------------------------------------------------------------
// nwmod

// NwmodOpts says how to run nwmod. startNwmod(t, args...) is
// startNwmodOpts(t, NwmodOpts{Args: args}).
type NwmodOpts struct {
	// Args follow the harness's default flags (--listen 127.0.0.1:0
	// --data-dir DIR --log-format json), so a flag here overrides its
	// default: the last occurrence of a flag wins.
	Args []string
	// Env is added to the environment nwmod runs in, as KEY=VALUE. The
	// NWMO_* variables of the test's own environment are removed first.
	Env []string
	// DataDir is the --data-dir; "" is a fresh directory under t.TempDir().
	DataDir string
	// NoDefaults names default flags ("listen", "data-dir", "log-format")
	// not to pass, so that the environment or a --config file can set
	// them. Whatever sets "listen" instead should use port 0; nwmod's log
	// format may then be text or json, the harness reads both.
	NoDefaults []string
}

// Nwmod is an nwmod process under test. Stop, Start and Restart run it again
// over the same data directory and options; the address changes with every
// start (port 0), so read Addr after each.
type Nwmod struct {
	owner testing.TB // the test that started it; stderr lines go to its log
	opts  NwmodOpts

	mu  sync.Mutex
	run *nwmodRun // the current or last run
}

// nwmodRun is one process of an Nwmod.
type nwmodRun struct {
	cmd   *exec.Cmd
	log   *procLog
	addr  string
	done  chan struct{}    // closed once the process has exited and its output is read
	state *os.ProcessState // valid once done is closed

	// Under Nwmod.mu.
	signaled bool // the test sent it a signal
	reaped   bool // the test waited for its exit (Wait or Stop)
	raceSeen bool // a data race was reported as a test failure
}

// startNwmod starts nwmod with --listen 127.0.0.1:0, a fresh --data-dir and
// --log-format json, followed by args, and waits until it serves gNMI. It is
// stopped (SIGTERM) when t ends; t fails unless it then exits 0.
func startNwmod(t testing.TB, args ...string) *Nwmod {
	t.Helper()
	return startNwmodOpts(t, NwmodOpts{Args: args})
}

// startNwmodOpts is startNwmod with every option.
func startNwmodOpts(t testing.TB, opts NwmodOpts) *Nwmod {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = filepath.Join(t.TempDir(), "data")
	}
	n := &Nwmod{owner: t, opts: opts}
	// Registered after t.TempDir, so it runs (LIFO) before the data
	// directory is removed.
	t.Cleanup(n.cleanup)
	n.Start(t)
	return n
}

// Addr is the address nwmod serves gNMI on, as it logged it.
func (n *Nwmod) Addr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.run.addr
}

// DataDir is nwmod's --data-dir (unless the options set it otherwise).
func (n *Nwmod) DataDir() string { return n.opts.DataDir }

// Logs returns the lines nwmod has written to stderr (and stdout) in its
// current or last run.
func (n *Nwmod) Logs() []LogLine {
	n.mu.Lock()
	r := n.run
	n.mu.Unlock()
	lines, _ := r.log.since(0)
	return lines
}

// Start runs nwmod again after Stop (or after it exited and Wait saw it)
// and waits until it serves gNMI.
func (n *Nwmod) Start(t testing.TB) {
	t.Helper()
	n.mu.Lock()
	prev := n.run
	n.mu.Unlock()
	if prev != nil {
		if !prev.exited() {
			t.Fatal("nwmod: Start while it is running")
		}
		if err := n.exitErr(prev); err != nil {
			t.Error(err)
		}
	}

	var args []string
	if !slices.Contains(n.opts.NoDefaults, "listen") {
		args = append(args, "--listen", "127.0.0.1:0")
	}
	if !slices.Contains(n.opts.NoDefaults, "data-dir") {
		args = append(args, "--data-dir", n.opts.DataDir)
	}
	if !slices.Contains(n.opts.NoDefaults, "log-format") {
		args = append(args, "--log-format", "json")
	}
	args = append(args, n.opts.Args...)

	owner := n.owner
	r := &nwmodRun{
		log:  newProcLog(func(s string) { owner.Log("nwmod: " + s) }),
		done: make(chan struct{}),
	}
	r.cmd = exec.Command(binPath("nwmod"), args...)
	r.cmd.Env = nwmodEnv(n.opts.Env)
	// The same comparable writer for both: exec then calls Write from one
	// goroutine at a time.
	r.cmd.Stdout = r.log
	r.cmd.Stderr = r.log
	t.Logf("starting nwmod %s", quoteArgs(args))
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("starting nwmod: %v", err)
	}
	go func() {
		_ = r.cmd.Wait() // returns once the output is copied; the state tells how it ended
		r.log.flush()
		r.state = r.cmd.ProcessState
		close(r.done)
	}()
	n.mu.Lock()
	n.run = r
	n.mu.Unlock()

	line, err := r.waitLog(startTimeout, func(l LogLine) bool { return l.Msg() == "serving gNMI" })
	if err != nil {
		n.kill(r)
		t.Fatalf("nwmod did not start: %v", err)
	}
	addr := line.Attr("addr")
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "0" {
		n.kill(r)
		t.Fatalf("nwmod logged serving gNMI on %q, not a host:port", addr)
	}
	n.mu.Lock()
	r.addr = addr
	n.mu.Unlock()
}

// Stop sends SIGTERM and waits for nwmod to exit; t fails unless it exits 0
// within stopTimeout (it is killed then).
func (n *Nwmod) Stop(t testing.TB) {
	t.Helper()
	if err := n.stop(); err != nil {
		t.Error(err)
	}
}

// Restart is Stop then Start: nwmod runs again over the same data
// directory, on a new port.
func (n *Nwmod) Restart(t testing.TB) {
	t.Helper()
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	n.Start(t)
}

// Signal sends sig to nwmod. Use Wait to see it exit.
func (n *Nwmod) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	n.mu.Lock()
	r := n.run
	r.signaled = true
	n.mu.Unlock()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signalling nwmod: %v", err)
	}
}

// Wait waits up to timeout for nwmod to exit and returns its exit code (-1
// when a signal killed it). On timeout nwmod is killed and t fails.
func (n *Nwmod) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	code, err := n.wait(timeout)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// WaitLog waits up to logTimeout for a line of the current run that match
// accepts, earlier lines included, and returns it. t fails when none comes
// or nwmod exits first.
func (n *Nwmod) WaitLog(t testing.TB, match func(LogLine) bool) LogLine {
	t.Helper()
	n.mu.Lock()
	r := n.run
	n.mu.Unlock()
	l, err := r.waitLog(logTimeout, match)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// WaitLogMsg is WaitLog for the first line whose msg is msg.
func (n *Nwmod) WaitLogMsg(t testing.TB, msg string) LogLine {
	t.Helper()
	return n.WaitLog(t, func(l LogLine) bool { return l.Msg() == msg })
}

// Client is a Go gNMI client of nwmod's current address, over plaintext.
func (n *Nwmod) Client(t testing.TB) gpb.GNMIClient {
	t.Helper()
	return dialGNMI(t, n.Addr())
}

func (r *nwmodRun) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (n *Nwmod) stop() error {
	n.mu.Lock()
	r := n.run
	n.mu.Unlock()
	if r.exited() {
		// Fine if the test made it exit or waited for it.
		return n.exitErr(r)
	}
	n.mu.Lock()
	r.signaled = true
	n.mu.Unlock()
	// An error here means it has just exited; wait tells how.
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	code, err := n.wait(stopTimeout)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("nwmod exited with %v after SIGTERM, want exit status 0", r.state)
	}
	return n.raceErr(r)
}

func (n *Nwmod) wait(timeout time.Duration) (int, error) {
	n.mu.Lock()
	r := n.run
	r.reaped = true
	n.mu.Unlock()
	select {
	case <-r.done:
		return r.state.ExitCode(), nil
	case <-time.After(timeout):
		n.kill(r)
		return -1, fmt.Errorf("nwmod did not exit within %v; killed it", timeout)
	}
}

// kill kills r and waits for it to be gone.
func (n *Nwmod) kill(r *nwmodRun) {
	n.mu.Lock()
	r.reaped = true
	n.mu.Unlock()
	_ = r.cmd.Process.Kill()
	<-r.done
}

// raceErr reports, once per run, a data race that nwmod (built with -race)
// printed.
func (n *Nwmod) raceErr(r *nwmodRun) error {
	lines, _ := r.log.since(0)
	for _, l := range lines {
		if strings.Contains(l.Raw, "WARNING: DATA RACE") {
			n.mu.Lock()
			seen := r.raceSeen
			r.raceSeen = true
			n.mu.Unlock()
			if !seen {
				return errors.New("nwmod reported a DATA RACE (see its log above)")
			}
			return nil
		}
	}
	return nil
}

// cleanup stops a running nwmod, and fails the test if nwmod exited on its
// own without the test waiting for it.
func (n *Nwmod) cleanup() {
	n.mu.Lock()
	r := n.run
	n.mu.Unlock()
	if r == nil {
		return
	}
	if !r.exited() {
		if err := n.stop(); err != nil {
			n.owner.Error(err)
		}
		return
	}
	if err := n.exitErr(r); err != nil {
		n.owner.Error(err)
	}
}

// exitErr reports an exited run that exited on its own, or with a failure,
// without the test waiting for it; and a data race it reported.
func (n *Nwmod) exitErr(r *nwmodRun) error {
	n.mu.Lock()
	reaped, signaled := r.reaped, r.signaled
	r.reaped = true // report it once
	n.mu.Unlock()
	if !reaped && (r.state.ExitCode() != 0 || !signaled) {
		return fmt.Errorf("nwmod exited unexpectedly during the test: %v", r.state)
	}
	return n.raceErr(r)
}

func (r *nwmodRun) waitLog(timeout time.Duration, match func(LogLine) bool) (LogLine, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	next := 0
	for {
		lines, changed := r.log.since(next)
		for _, l := range lines {
			if match(l) {
				return l, nil
			}
		}
		next += len(lines)
		select {
		case <-changed:
		case <-r.done:
			// Everything is read once done is closed.
			lines, _ := r.log.since(next)
			for _, l := range lines {
				if match(l) {
					return l, nil
				}
			}
			return LogLine{}, fmt.Errorf("nwmod exited (%v) before logging the line waited for", r.state)
		case <-timer.C:
			return LogLine{}, fmt.Errorf("no matching nwmod log line within %v", timeout)
		}
	}
}

// runNwmodToExit runs nwmod with exactly args, in the environment
// nwmodEnv(env), for options nwmod must refuse: it returns nwmod's output
// (stdout and stderr) and exit code, and fails t if nwmod is still running
// after timeout.
func runNwmodToExit(t testing.TB, timeout time.Duration, env []string, args ...string) (output string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath("nwmod"), args...)
	cmd.Env = nwmodEnv(env)
	cmd.WaitDelay = 5 * time.Second
	t.Logf("running nwmod %s", quoteArgs(args))
	out, err := cmd.CombinedOutput()
	t.Logf("nwmod output:\n%s", strings.TrimRight(string(out), "\n"))
	if ctx.Err() != nil {
		t.Fatalf("nwmod %s still ran after %v", quoteArgs(args), timeout)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running nwmod: %v", err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// nwmodEnv is the test's environment without NWMO_* variables, plus extra.
func nwmodEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NWMO_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// ---------------------------------------------------------------------------
// Log lines

// LogLine is one line a process wrote. Attrs holds its fields when it is a
// slog record in JSON or text form (keys "time", "level", "msg" and the
// attributes), and is nil otherwise (a panic, a race report, a plain error).
type LogLine struct {
	Raw   string
	Attrs map[string]any
	JSON  bool // Attrs came from a JSON record
}

// Msg is the record's message, or "".
func (l LogLine) Msg() string { return l.Attr("msg") }

// Level is the record's level ("INFO", ...), or "".
func (l LogLine) Level() string { return l.Attr("level") }

// Attr is the attribute key as a string: strings as they are, other JSON
// values as JSON ("true", "42"); "" when absent.
func (l LogLine) Attr(key string) string {
	v, ok := l.Attrs[key]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseLogLine(s string) LogLine {
	l := LogLine{Raw: s}
	if strings.HasPrefix(s, "{") {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) == nil {
			if _, ok := m["msg"]; ok {
				l.Attrs, l.JSON = m, true
			}
		}
		return l
	}
	l.Attrs = parseTextRecord(s)
	return l
}

// parseTextRecord parses a log/slog TextHandler line: key=value pairs
// separated by spaces, values quoted when needed. It returns nil for
// anything else.
func parseTextRecord(s string) map[string]any {
	m := map[string]any{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(s, " ") {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(s[:eq], " \"") {
			return nil
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil
			}
			val, _ = strconv.Unquote(q)
			s = s[len(q):]
		} else {
			end := strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		m[key] = val
	}
	if _, ok := m["msg"]; !ok {
		return nil
	}
	return m
}

// procLog collects a process's output as lines, passing each to sink, and
// lets waiters know when a line arrives.
type procLog struct {
	sink func(string)

	mu      sync.Mutex
	partial []byte
	lines   []LogLine
	changed chan struct{} // closed and replaced when a line arrives
}

func newProcLog(sink func(string)) *procLog {
	return &procLog{sink: sink, changed: make(chan struct{})}
}

func (l *procLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.add(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

// flush ends an unterminated last line.
func (l *procLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.add(string(l.partial))
		l.partial = nil
	}
}

func (l *procLog) add(s string) {
	s = strings.TrimSuffix(s, "\r")
	l.lines = append(l.lines, parseLogLine(s))
	close(l.changed)
	l.changed = make(chan struct{})
	l.sink(s)
}

// since returns the lines from index i on and a channel closed when more
// arrive.
func (l *procLog) since(i int) ([]LogLine, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines[min(i, len(l.lines)):]), l.changed
}

// ---------------------------------------------------------------------------
// gnmic

// GnmicError is a failed gnmic run.
type GnmicError struct {
	Args           []string
	Stdout, Stderr string
	Err            error // *exec.ExitError, or the timeout
}

func (e *GnmicError) Error() string {
	return fmt.Sprintf("gnmic %s: %v\nstderr:\n%s", quoteArgs(e.Args), e.Err, e.Stderr)
}

func (e *GnmicError) Unwrap() error { return e.Err }

// gnmic runs `gnmic -a addr --insecure args...` and returns its stdout. A
// failed run returns a *GnmicError, which holds stderr.
func gnmic(t testing.TB, addr string, args ...string) (stdout string, err error) {
	t.Helper()
	return runGnmic(t, append([]string{"-a", addr, "--insecure"}, args...)...)
}

// mustGnmic is gnmic that fails t when gnmic fails.
func mustGnmic(t testing.TB, addr string, args ...string) string {
	t.Helper()
	out, err := gnmic(t, addr, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runGnmic runs the gnmic CLI with exactly args (no address or transport
// flags added), in an empty directory and home so that no gnmic config file
// applies, and with a timeout of gnmicTimeout.
func runGnmic(t testing.TB, args ...string) (stdout string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gnmicTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binGnmic(), args...)
	cmd.Dir = gnmicHome
	cmd.Env = gnmicEnv()
	cmd.WaitDelay = 5 * time.Second
	var outb, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &errb
	t.Logf("$ gnmic %s", quoteArgs(args))
	err = cmd.Run()
	if errb.Len() > 0 {
		t.Logf("gnmic stderr:\n%s", strings.TrimRight(errb.String(), "\n"))
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", gnmicTimeout, ctx.Err())
	}
	if err != nil {
		return outb.String(), &GnmicError{Args: args, Stdout: outb.String(), Stderr: errb.String(), Err: err}
	}
	return outb.String(), nil
}

func binGnmic() string {
	noteInputs()
	return gnmicBin
}

// gnmicEnv is the test's environment without GNMIC_* variables, with HOME
// and XDG_CONFIG_HOME set to an empty directory.
func gnmicEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToUpper(k), "GNMIC_") || k == "HOME" || k == "XDG_CONFIG_HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+gnmicHome, "XDG_CONFIG_HOME="+gnmicHome)
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$*?") {
			a = strconv.Quote(a)
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// ---------------------------------------------------------------------------
// Go gNMI client

// dialGNMI returns a gNMI client of addr, closed when t ends. Without opts
// it uses plaintext; opts must otherwise give the transport credentials
// (see tlsClient).
func dialGNMI(t testing.TB, addr string, opts ...grpc.DialOption) gpb.GNMIClient {
	t.Helper()
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	opts = append([]grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(maxMsgSize), grpc.MaxCallSendMsgSize(maxMsgSize))}, opts...)
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatalf("grpc.NewClient(%s): %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return gpb.NewGNMIClient(conn)
}

// rpcCtx is a context for one RPC: it ends after rpcTimeout or with t.
func rpcCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), rpcTimeout)
	t.Cleanup(cancel)
	return ctx
}

// tlsClient is the dial option of a TLS client that trusts the CA in caFile
// and, when certFile is not "", presents that certificate.
func tlsClient(t testing.TB, caFile, certFile, keyFile string) grpc.DialOption {
	t.Helper()
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatalf("%s: no PEM certificate", caFile)
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(cfg))
}

// ---------------------------------------------------------------------------
// TLS certificates

// testCA is a throw-away certificate authority whose files live in a
// t.TempDir().
type testCA struct {
	dir    string
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	CAFile string // the CA certificate, PEM
}

// newTestCA creates a self-signed CA named name.
func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(t),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"nwmo e2e"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{dir: t.TempDir(), cert: cert, key: key}
	ca.CAFile = filepath.Join(ca.dir, name+"-ca.pem")
	writePEM(t, ca.CAFile, "CERTIFICATE", der)
	return ca
}

// issue writes a certificate signed by ca and its key, and returns their
// files. A server certificate is for 127.0.0.1, ::1 and localhost; a client
// certificate has CommonName name.
func (ca *testCA) issue(t testing.TB, name string, server bool) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(t),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"nwmo e2e"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(ca.dir, name+".pem")
	keyFile = filepath.Join(ca.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func newSerial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
