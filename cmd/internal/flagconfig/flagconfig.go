// Package flagconfig lets every option of a command be set three ways with
// one definition: as a flag, as an NWMO_* environment variable, and as a key
// of a YAML config file. Options are declared once, as flags; the other two
// sources fill in the flags the command line left unset.
//
// Precedence, highest first: command line, environment, config file, the
// flag's default. The environment variable of flag "data-dir" is
// NWMO_DATA_DIR; its config file key is "data-dir".
//
// It also holds the other conventions every nwmo command shares: the
// logger its --log-level and --log-format describe, and its exit status.
package flagconfig

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ConfigFlag is the name of the flag that names the YAML config file.
const ConfigFlag = "config"

// EnvName is the environment variable that sets the flag called name.
func EnvName(name string) string {
	return "NWMO_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Parse parses args into fs and then fills the flags not given on the
// command line from the environment and from the config file named by the
// "config" flag (or NWMO_CONFIG), if fs has one. An unknown key in the config
// file is an error, so that a typo does not silently do nothing.
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var errs []string
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		if v, ok := os.LookupEnv(EnvName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", EnvName(f.Name), v, err))
			}
			set[f.Name] = true
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("environment: %s", strings.Join(errs, "; "))
	}

	cfg := fs.Lookup(ConfigFlag)
	if cfg == nil || cfg.Value.String() == "" {
		return nil
	}
	return applyFile(fs, cfg.Value.String(), set)
}

func applyFile(fs *flag.FlagSet, path string, set map[string]bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == ConfigFlag || fs.Lookup(k) == nil {
			return fmt.Errorf("config file %s: unknown option %q (see --help)", path, k)
		}
		if set[k] {
			continue
		}
		v := values[k]
		if list, ok := v.([]any); ok {
			parts := make([]string, len(list))
			for i, p := range list {
				parts[i] = fmt.Sprint(p)
			}
			v = strings.Join(parts, ",")
		}
		if err := fs.Set(k, fmt.Sprint(v)); err != nil {
			return fmt.Errorf("config file %s: %s: %v", path, k, err)
		}
	}
	return nil
}

// Usage returns a flag.Usage function that prints a one-line synopsis and
// every option with the environment variable that also sets it.
func Usage(fs *flag.FlagSet, synopsis string) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintf(w, "%s\n\nOptions (also NWMO_* environment variables, or keys of the --config YAML file):\n", synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(w, "  --%s %s\n    \t%s", f.Name, name, usage)
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
			fmt.Fprintf(w, " [%s]\n", EnvName(f.Name))
		})
	}
}

// NewLogger returns the structured logger that the --log-level and
// --log-format options of every command describe.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %v", err)
	}
	hopts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// UsageError is a mistake in a command's options: it exits with status 2,
// as command-line misuse does.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Exit ends a command after run returned err: status 0 for no error or
// --help, 2 for a UsageError, 1 for any other failure, with the error
// printed after the command's name.
func Exit(cmd string, err error) {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return
	case errors.As(err, new(UsageError)):
		fmt.Fprintf(os.Stderr, "%s: %v\n", cmd, err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", cmd, err)
		os.Exit(1)
	}
}
