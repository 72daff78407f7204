package e2e

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// wantModels are models nwmod must advertise: the OpenConfig models of the
// elements it manages and its own.
var wantModels = []string{
	"openconfig-interfaces",
	"openconfig-system",
	"openconfig-network-instance",
	"openconfig-lldp",
	"openconfig-platform",
	"nwmo",
}

var wantEncodings = []string{"JSON_IETF", "JSON", "PROTO"}

const wantGNMIVersion = "0.10.0"

// gnmicCapabilities is the output of `gnmic capabilities --format json`.
type gnmicCapabilities struct {
	Version         string `json:"version"`
	SupportedModels []struct {
		Name         string `json:"name"`
		Organization string `json:"organization"`
		Version      string `json:"version"`
	} `json:"supported-models"`
	Encodings []string `json:"encodings"`
}

func parseGnmicCapabilities(t *testing.T, out string) gnmicCapabilities {
	t.Helper()
	var caps gnmicCapabilities
	if err := json.Unmarshal([]byte(out), &caps); err != nil {
		t.Fatalf("gnmic capabilities --format json: %v\noutput:\n%s", err, out)
	}
	return caps
}

func TestCapabilitiesGnmic(t *testing.T) {
	t.Parallel()
	n := startNwmod(t)
	caps := parseGnmicCapabilities(t, mustGnmic(t, n.Addr(), "capabilities", "--format", "json"))

	if caps.Version != wantGNMIVersion {
		t.Errorf("gNMI version = %q, want %q", caps.Version, wantGNMIVersion)
	}
	byName := map[string]int{}
	for i, m := range caps.SupportedModels {
		byName[m.Name] = i
	}
	for _, name := range wantModels {
		i, ok := byName[name]
		if !ok {
			t.Errorf("model %s is not listed", name)
			continue
		}
		if m := caps.SupportedModels[i]; m.Organization == "" || m.Version == "" {
			t.Errorf("model %s: organization %q, version %q; want both set", name, m.Organization, m.Version)
		}
	}
	for _, e := range wantEncodings {
		if !slices.Contains(caps.Encodings, e) {
			t.Errorf("encodings %v lack %s", caps.Encodings, e)
		}
	}

	// gnmic shows every model the server sends, no more and no fewer.
	resp, err := n.Client(t).Capabilities(rpcCtx(t), &gpb.CapabilityRequest{})
	if err != nil {
		t.Fatalf("Capabilities: %v", err)
	}
	if got, want := len(caps.SupportedModels), len(resp.GetSupportedModels()); got != want {
		t.Errorf("gnmic lists %d models, the Go client gets %d", got, want)
	}
	for _, m := range resp.GetSupportedModels() {
		if _, ok := byName[m.GetName()]; !ok {
			t.Errorf("gnmic does not list model %s", m.GetName())
		}
	}
}

func TestCapabilitiesGoClient(t *testing.T) {
	t.Parallel()
	n := startNwmod(t)
	resp, err := n.Client(t).Capabilities(rpcCtx(t), &gpb.CapabilityRequest{})
	if err != nil {
		t.Fatalf("Capabilities: %v", err)
	}
	checkCapabilities(t, resp)
}

// checkCapabilities checks a CapabilityResponse of nwmod.
func checkCapabilities(t *testing.T, resp *gpb.CapabilityResponse) {
	t.Helper()
	if v := resp.GetGNMIVersion(); v != wantGNMIVersion {
		t.Errorf("gNMI version = %q, want %q", v, wantGNMIVersion)
	}
	seen := map[string]bool{}
	for _, m := range resp.GetSupportedModels() {
		if m.GetName() == "" || m.GetOrganization() == "" || m.GetVersion() == "" {
			t.Errorf("model %v: want name, organization and version all set", m)
		}
		if seen[m.GetName()] {
			t.Errorf("model %s is listed twice", m.GetName())
		}
		seen[m.GetName()] = true
	}
	for _, name := range wantModels {
		if !seen[name] {
			t.Errorf("model %s is not listed", name)
		}
	}
	var encs []string
	for _, e := range resp.GetSupportedEncodings() {
		encs = append(encs, e.String())
	}
	for _, e := range wantEncodings {
		if !slices.Contains(encs, e) {
			t.Errorf("encodings %v lack %s", encs, e)
		}
	}
}

func TestPlaintextRefusedOffLoopback(t *testing.T) {
	t.Parallel()
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		t.Run(listen, func(t *testing.T) {
			t.Parallel()
			dataDir := filepath.Join(t.TempDir(), "data")
			start := time.Now()
			out, code := runNwmodToExit(t, 15*time.Second, nil, "--listen", listen, "--data-dir", dataDir)
			if code == 0 {
				t.Errorf("nwmod --listen %s without TLS exited 0, want a failure", listen)
			}
			for _, want := range []string{"loopback", "--tls-cert"} {
				if !strings.Contains(out, want) {
					t.Errorf("nwmod's message does not mention %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "serving gNMI") {
				t.Errorf("nwmod served gNMI before refusing:\n%s", out)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("nwmod took %v to refuse", d)
			}
		})
	}

	// The refusal is of plaintext: with mutual TLS, nwmod serves on every
	// interface.
	t.Run("TLS allowed", func(t *testing.T) {
		t.Parallel()
		ca := newTestCA(t, "wildcard")
		srvCert, srvKey := ca.issue(t, "nwmod", true)
		cliCert, cliKey := ca.issue(t, "operator", false)
		n := startNwmod(t, "--listen", "0.0.0.0:0",
			"--tls-cert", srvCert, "--tls-key", srvKey, "--tls-ca", ca.CAFile)
		_, port, err := net.SplitHostPort(n.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if host, _, _ := net.SplitHostPort(n.Addr()); !net.ParseIP(host).IsUnspecified() {
			t.Errorf("nwmod serves on %s, want the unspecified address", n.Addr())
		}
		c := dialGNMI(t, net.JoinHostPort("127.0.0.1", port), tlsClient(t, ca.CAFile, cliCert, cliKey))
		resp, err := c.Capabilities(rpcCtx(t), &gpb.CapabilityRequest{})
		if err != nil {
			t.Fatalf("Capabilities over mutual TLS: %v", err)
		}
		checkCapabilities(t, resp)
	})
}

func TestTLS(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "nwmo-e2e")
	srvCert, srvKey := ca.issue(t, "nwmod", true)
	cliCert, cliKey := ca.issue(t, "operator", false)
	// A client certificate of another CA, which nwmod must not accept, and a
	// CA that did not sign nwmod's certificate.
	other := newTestCA(t, "other")
	otherCert, otherKey := other.issue(t, "intruder", false)

	// gnmicTLS runs gnmic capabilities over TLS, trusting caFile.
	gnmicTLS := func(t *testing.T, addr, caFile string, extra ...string) (string, error) {
		t.Helper()
		args := append([]string{"-a", addr, "--tls-ca", caFile, "--timeout", "5s"}, extra...)
		return runGnmic(t, append(args, "capabilities", "--format", "json")...)
	}

	t.Run("server TLS", func(t *testing.T) {
		t.Parallel()
		n := startNwmod(t, "--tls-cert", srvCert, "--tls-key", srvKey)
		if tls := n.WaitLogMsg(t, "serving gNMI").Attr("tls"); tls != "true" {
			t.Errorf(`serving gNMI log has tls=%s, want true`, tls)
		}

		out, err := gnmicTLS(t, n.Addr(), ca.CAFile)
		if err != nil {
			t.Fatalf("gnmic over TLS: %v", err)
		}
		if caps := parseGnmicCapabilities(t, out); caps.Version != wantGNMIVersion {
			t.Errorf("gNMI version over TLS = %q, want %q", caps.Version, wantGNMIVersion)
		}
		if _, err := gnmic(t, n.Addr(), "--timeout", "5s", "capabilities"); err == nil {
			t.Error("gnmic --insecure (plaintext) got capabilities from a TLS server")
		}
		if _, err := gnmicTLS(t, n.Addr(), other.CAFile); err == nil {
			t.Error("gnmic trusting another CA accepted nwmod's certificate")
		}

		c := dialGNMI(t, n.Addr(), tlsClient(t, ca.CAFile, "", ""))
		resp, err := c.Capabilities(rpcCtx(t), &gpb.CapabilityRequest{})
		if err != nil {
			t.Fatalf("Capabilities over TLS: %v", err)
		}
		checkCapabilities(t, resp)
	})

	t.Run("mutual TLS", func(t *testing.T) {
		t.Parallel()
		n := startNwmod(t, "--tls-cert", srvCert, "--tls-key", srvKey, "--tls-ca", ca.CAFile)

		if _, err := gnmicTLS(t, n.Addr(), ca.CAFile); err == nil {
			t.Error("gnmic without a client certificate got capabilities")
		}
		if _, err := gnmicTLS(t, n.Addr(), ca.CAFile, "--tls-cert", otherCert, "--tls-key", otherKey); err == nil {
			t.Error("gnmic with a client certificate of another CA got capabilities")
		}
		out, err := gnmicTLS(t, n.Addr(), ca.CAFile, "--tls-cert", cliCert, "--tls-key", cliKey)
		if err != nil {
			t.Fatalf("gnmic with a client certificate: %v", err)
		}
		if caps := parseGnmicCapabilities(t, out); caps.Version != wantGNMIVersion {
			t.Errorf("gNMI version over mutual TLS = %q, want %q", caps.Version, wantGNMIVersion)
		}

		for _, tc := range []struct {
			name      string
			cert, key string
		}{
			{"no client certificate", "", ""},
			{"client certificate of another CA", otherCert, otherKey},
		} {
			c := dialGNMI(t, n.Addr(), tlsClient(t, ca.CAFile, tc.cert, tc.key))
			_, err := c.Capabilities(rpcCtx(t), &gpb.CapabilityRequest{})
			if status.Code(err) != codes.Unavailable {
				t.Errorf("Go client, %s: Capabilities error %v, want code Unavailable", tc.name, err)
			}
		}
		c := dialGNMI(t, n.Addr(), tlsClient(t, ca.CAFile, cliCert, cliKey))
		resp, err := c.Capabilities(rpcCtx(t), &gpb.CapabilityRequest{})
		if err != nil {
			t.Fatalf("Go client with a client certificate: %v", err)
		}
		checkCapabilities(t, resp)
	})
}

func TestConfigFileAndEnv(t *testing.T) {
	t.Parallel()
	allDefaults := []string{"listen", "data-dir", "log-format"}

	writeConfig := func(t *testing.T, body string) string {
		t.Helper()
		p := filepath.Join(t.TempDir(), "nwmod.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// check checks that n serves on a loopback port chosen by the system
	// (the listen option took effect: the default is 127.0.0.1:9339), logs
	// JSON or text as asked, and uses dataDir.
	check := func(t *testing.T, n *Nwmod, wantJSON bool, dataDir string) {
		t.Helper()
		line := n.WaitLogMsg(t, "serving gNMI")
		if line.JSON != wantJSON {
			t.Errorf("serving gNMI logged as JSON = %v, want %v: %s", line.JSON, wantJSON, line.Raw)
		}
		host, port, err := net.SplitHostPort(n.Addr())
		if err != nil || host != "127.0.0.1" || port == "9339" {
			t.Errorf("nwmod serves on %s, want 127.0.0.1 and a port the system chose", n.Addr())
		}
		if got := line.Attr("data-dir"); got != dataDir {
			t.Errorf("data-dir = %q, want %q", got, dataDir)
		}
		if fi, err := os.Stat(dataDir); err != nil || !fi.IsDir() {
			t.Errorf("data-dir %s was not created: %v", dataDir, err)
		}
		caps := parseGnmicCapabilities(t, mustGnmic(t, n.Addr(), "capabilities", "--format", "json"))
		if caps.Version != wantGNMIVersion {
			t.Errorf("gNMI version = %q, want %q", caps.Version, wantGNMIVersion)
		}
	}

	t.Run("config file", func(t *testing.T) {
		t.Parallel()
		dataDir := filepath.Join(t.TempDir(), "from-file")
		cfg := writeConfig(t, "listen: 127.0.0.1:0\nlog-format: json\ndata-dir: "+dataDir+"\n")
		n := startNwmodOpts(t, NwmodOpts{Args: []string{"--config", cfg}, NoDefaults: allDefaults})
		check(t, n, true, dataDir)
	})

	t.Run("environment", func(t *testing.T) {
		t.Parallel()
		dataDir := filepath.Join(t.TempDir(), "from-env")
		n := startNwmodOpts(t, NwmodOpts{
			Env:        []string{"NWMO_LISTEN=127.0.0.1:0", "NWMO_LOG_FORMAT=json", "NWMO_DATA_DIR=" + dataDir},
			NoDefaults: allDefaults,
		})
		check(t, n, true, dataDir)
	})

	t.Run("NWMO_CONFIG", func(t *testing.T) {
		t.Parallel()
		dataDir := filepath.Join(t.TempDir(), "from-file")
		cfg := writeConfig(t, "listen: 127.0.0.1:0\nlog-format: json\ndata-dir: "+dataDir+"\n")
		n := startNwmodOpts(t, NwmodOpts{Env: []string{"NWMO_CONFIG=" + cfg}, NoDefaults: allDefaults})
		check(t, n, true, dataDir)
	})

	// Command line over environment over config file over default.
	t.Run("precedence", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		fileDir, envDir, flagDir := filepath.Join(dir, "file"), filepath.Join(dir, "env"), filepath.Join(dir, "flag")
		cfg := writeConfig(t, "listen: 127.0.0.1:0\nlog-format: text\ndata-dir: "+fileDir+"\n")
		n := startNwmodOpts(t, NwmodOpts{
			Args:       []string{"--config", cfg, "--data-dir", flagDir},
			Env:        []string{"NWMO_LOG_FORMAT=json", "NWMO_DATA_DIR=" + envDir},
			NoDefaults: allDefaults,
		})
		check(t, n, true, flagDir)
		for _, d := range []string{fileDir, envDir} {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s exists (%v); only the command line's data-dir should be used", d, err)
			}
		}
	})

	t.Run("text log from config file", func(t *testing.T) {
		t.Parallel()
		dataDir := filepath.Join(t.TempDir(), "data")
		cfg := writeConfig(t, "log-format: text\n")
		n := startNwmodOpts(t, NwmodOpts{
			Args:       []string{"--config", cfg, "--listen", "127.0.0.1:0", "--data-dir", dataDir},
			NoDefaults: allDefaults,
		})
		check(t, n, false, dataDir)
	})

	t.Run("unknown option in config file", func(t *testing.T) {
		t.Parallel()
		cfg := writeConfig(t, "lisen: 127.0.0.1:0\n")
		out, code := runNwmodToExit(t, 15*time.Second, nil,
			"--config", cfg, "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "data"))
		if code == 0 || !strings.Contains(out, `unknown option "lisen"`) {
			t.Errorf("nwmod with a misspelt config key: exit code %d, output:\n%s\nwant a failure naming the key", code, out)
		}
	})

	t.Run("bad environment value", func(t *testing.T) {
		t.Parallel()
		out, code := runNwmodToExit(t, 15*time.Second, []string{"NWMO_SHUTDOWN_TIMEOUT=soon"},
			"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "data"))
		if code == 0 || !strings.Contains(out, "NWMO_SHUTDOWN_TIMEOUT") {
			t.Errorf("nwmod with NWMO_SHUTDOWN_TIMEOUT=soon: exit code %d, output:\n%s\nwant a failure naming the variable", code, out)
		}
	})
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			n := startNwmod(t)
			c := n.Client(t)
			if _, err := c.Capabilities(rpcCtx(t), &gpb.CapabilityRequest{}); err != nil {
				t.Fatalf("Capabilities: %v", err)
			}

			n.Signal(t, sig)
			if code := n.Wait(t, stopTimeout); code != 0 {
				t.Errorf("nwmod exited with code %d on %v, want 0", code, sig)
			}
			var msgs []string
			for _, l := range n.Logs() {
				if l.Msg() != "" {
					msgs = append(msgs, l.Msg())
				}
			}
			shutting, stopped := slices.Index(msgs, "shutting down"), slices.Index(msgs, "stopped")
			if stopped < 0 || shutting < 0 || shutting > stopped {
				t.Errorf("log messages %q, want \"shutting down\" and then \"stopped\"", msgs)
			}
			if _, err := c.Capabilities(rpcCtx(t), &gpb.CapabilityRequest{}); status.Code(err) != codes.Unavailable {
				t.Errorf("Capabilities after nwmod exited: %v, want code Unavailable", err)
			}
		})
	}

	t.Run("restart", func(t *testing.T) {
		t.Parallel()
		n := startNwmod(t)
		n.Restart(t)
		if got := n.WaitLogMsg(t, "serving gNMI").Attr("data-dir"); got != n.DataDir() {
			t.Errorf("restarted nwmod uses data-dir %q, want %q", got, n.DataDir())
		}
		resp, err := n.Client(t).Capabilities(rpcCtx(t), &gpb.CapabilityRequest{})
		if err != nil {
			t.Fatalf("Capabilities after restart: %v", err)
		}
		checkCapabilities(t, resp)
	})
}
