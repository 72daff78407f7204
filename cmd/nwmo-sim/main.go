// Command nwmo-sim simulates network elements: N gNMI targets in one
// process, each on its own port, with faults on purpose, for demos, tests
// and benchmarks.
//
//	nwmo-sim --listen 127.0.0.1:9400 --count 3
//
// serves sim-0 on 127.0.0.1:9400, sim-1 on :9401 and sim-2 on :9402. Each
// answers Capabilities, Get, Set and Subscribe for its own name or an
// empty target, honours the gNMI Commit extension, reflects applied
// configuration in its state, and changes its state on its own. With
// --control, faults are injected at run time over HTTP: see
// docs/southbound.md or `curl ADDR/elements`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nwmo/nwmo/clients/sim"
	"github.com/nwmo/nwmo/cmd/internal/flagconfig"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	flagconfig.Exit("nwmo-sim", run(ctx, os.Args[1:], os.Stderr))
}

// crashExit is the exit status of a crash asked for with POST /crash.
const crashExit = 3

type options struct {
	listen        string
	count         int
	prefix        string
	reject        string
	delay         time.Duration
	interfaces    int
	stateInterval time.Duration
	noConfirm     bool
	control       string
	logLevel      string
	logFormat     string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("nwmo-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9400", "`HOST:PORT` of the first element; element i listens on PORT+i (PORT 0: free ports)")
	fs.IntVar(&o.count, "count", 1, "how many elements to serve")
	fs.StringVar(&o.prefix, "prefix", "sim-", "element names are `P`0, P1, ...")
	fs.StringVar(&o.reject, "reject", "", "comma-separated `names` of elements that refuse every Set")
	fs.DurationVar(&o.delay, "delay", 0, "every Set waits this `duration` before it is applied")
	fs.IntVar(&o.interfaces, "interfaces", 4, "interfaces each element has configured at start")
	fs.DurationVar(&o.stateInterval, "state-interval", 10*time.Second, "how often state (counters, oper-status) changes on its own; 0: never")
	fs.BoolVar(&o.noConfirm, "no-commit-confirmed", false, "ignore the gNMI Commit extension, as devices without confirmed commits do")
	fs.StringVar(&o.control, "control", "", "`HOST:PORT` (loopback) of the HTTP fault-control endpoint; off when empty")
	fs.StringVar(&o.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: nwmo-sim [options]\n\nnwmo-sim serves simulated gNMI network elements.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, flagconfig.UsageError{Err: err}
	}
	if fs.NArg() > 0 {
		return nil, flagconfig.UsageError{Err: fmt.Errorf("unexpected arguments %q (see --help)", fs.Args())}
	}
	if o.count < 1 {
		return nil, flagconfig.UsageError{Err: fmt.Errorf("--count %d: want 1 or more", o.count)}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := flagconfig.NewLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return flagconfig.UsageError{Err: err}
	}
	var control net.Listener
	if o.control != "" {
		if err := checkLoopback(o.control); err != nil {
			return flagconfig.UsageError{Err: err}
		}
		if control, err = net.Listen("tcp", o.control); err != nil {
			return fmt.Errorf("--control: %w", err)
		}
	}
	opts := []sim.Option{
		sim.WithPrefix(o.prefix),
		sim.WithInterfaces(o.interfaces),
		sim.WithDelay(o.delay),
		sim.WithStateInterval(o.stateInterval),
		sim.WithCommitConfirmed(!o.noConfirm),
		sim.WithLogger(log),
	}
	if o.reject != "" {
		opts = append(opts, sim.WithReject(strings.Split(o.reject, ",")...))
	}
	began := time.Now()
	fleet, err := sim.Start(o.listen, o.count, opts...)
	if err != nil {
		return err
	}
	defer fleet.Close()
	els := fleet.Elements()
	if _, port, _ := net.SplitHostPort(o.listen); port == "0" || len(els) <= 16 {
		for _, e := range els {
			log.Info("element serving", "name", e.Name(), "addr", e.Addr())
		}
	}
	log.Info("serving elements", "count", len(els), "first", els[0].Name()+"@"+els[0].Addr(),
		"last", els[len(els)-1].Name()+"@"+els[len(els)-1].Addr(), "started-in", time.Since(began).Round(time.Millisecond).String())

	if control != nil {
		srv := &http.Server{Handler: fleet.Handler(func() {
			log.Error("crashing on purpose (POST /crash)")
			os.Exit(crashExit)
		}), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(control); !errors.Is(err, http.ErrServerClosed) {
				log.Error("control endpoint", "err", err)
			}
		}()
		defer srv.Close()
		log.Info("serving fault control", "addr", control.Addr().String())
	}
	<-ctx.Done()
	log.Info("stopping")
	return nil
}

// checkLoopback refuses a control endpoint reachable from other machines:
// it has no authentication.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--control %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--control %q: the fault-control endpoint has no authentication; give a loopback address such as 127.0.0.1:9399", addr)
	}
	return nil
}
