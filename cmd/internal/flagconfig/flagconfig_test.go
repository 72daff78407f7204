package flagconfig

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newSet() (*flag.FlagSet, *string, *int, *time.Duration) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String(ConfigFlag, "", "config file")
	listen := fs.String("listen", "127.0.0.1:9339", "")
	sim := fs.Int("sim", 0, "")
	delay := fs.Duration("delay", 0, "")
	return fs, listen, sim, delay
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "nwmo.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	cfg := writeConfig(t, "listen: 127.0.0.1:1000\nsim: 3\ndelay: 2s\n")
	t.Setenv("NWMO_SIM", "5")

	fs, listen, sim, delay := newSet()
	if err := Parse(fs, []string{"--config", cfg, "--delay", "1s"}); err != nil {
		t.Fatal(err)
	}
	if *listen != "127.0.0.1:1000" {
		t.Errorf("listen = %q, want the config file's 127.0.0.1:1000", *listen)
	}
	if *sim != 5 {
		t.Errorf("sim = %d, want the environment's 5 over the file's 3", *sim)
	}
	if *delay != time.Second {
		t.Errorf("delay = %v, want the command line's 1s", *delay)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	t.Setenv("NWMO_CONFIG", writeConfig(t, "sim: 7\n"))
	fs, _, sim, _ := newSet()
	if err := Parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	if *sim != 7 {
		t.Errorf("sim = %d, want 7 from the file named by NWMO_CONFIG", *sim)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, file, env, want string
	}{
		{name: "unknown key", file: "lisen: x\n", want: `unknown option "lisen"`},
		{name: "bad value in file", file: "sim: many\n", want: "sim"},
		{name: "bad value in env", env: "many", want: "NWMO_SIM"},
		{name: "not yaml", file: "sim: [\n", want: "nwmo.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _, _, _ := newSet()
			var args []string
			if tt.file != "" {
				args = []string{"--config", writeConfig(t, tt.file)}
			}
			if tt.env != "" {
				t.Setenv("NWMO_SIM", tt.env)
			}
			err := Parse(fs, args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestUsageNamesEnvironment(t *testing.T) {
	fs, _, _, _ := newSet()
	var b strings.Builder
	fs.SetOutput(&b)
	Usage(fs, "usage: t")()
	for _, want := range []string{"--listen", "NWMO_LISTEN", "(default 127.0.0.1:9339)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, b.String())
		}
	}
}
