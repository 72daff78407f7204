// Command nwmod is the nwmo server: a gNMI server over a durable
// candidate/running datastore of network element configurations.
//
// Every option is a flag, an NWMO_* environment variable, or a key of the
// YAML file named by --config; run `nwmod --help` for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/nwmo/nwmo/cmd/internal/flagconfig"
	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/server"
	"github.com/nwmo/nwmo/server/access"
	"github.com/nwmo/nwmo/server/audit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	flagconfig.Exit("nwmod", run(ctx, stop, os.Args[1:], os.Stderr))
}

type options struct {
	listen        string
	dataDir       string
	tls           tlsOptions
	maxMsg        int
	maxSubs       int
	maxClientSubs int
	reqTimeout    time.Duration
	minSample     time.Duration
	subQueue      int
	logLevel      string
	logFormat     string
	shutdownIn    time.Duration
	sims          int
	history       int
	accessFile    string
	auditLog      string
	auditMaxSize  int64
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("nwmod", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String(flagconfig.ConfigFlag, "", "YAML `file` of options; keys are the option names")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9339", "gNMI listen `address`; plaintext is allowed on loopback only")
	fs.StringVar(&o.dataDir, "data-dir", "./var/nwmo", "`directory` of the durable datastore")
	fs.StringVar(&o.tls.cert, "tls-cert", "", "TLS certificate `file` (PEM)")
	fs.StringVar(&o.tls.key, "tls-key", "", "TLS private key `file` (PEM)")
	fs.StringVar(&o.tls.ca, "tls-ca", "", "CA `file` (PEM); when set, clients must present a certificate it signed")
	fs.IntVar(&o.maxMsg, "max-msg-size", server.MaxMessageSize, "largest gRPC message in `bytes`, either way")
	fs.IntVar(&o.maxSubs, "max-subscriptions", server.MaxSubscriptions, "most Subscribe RPCs open at once, in `total`")
	fs.IntVar(&o.maxClientSubs, "max-client-subscriptions", server.MaxClientSubscriptions, "most Subscribe RPCs open at once by one client (user and host)")
	fs.DurationVar(&o.reqTimeout, "request-timeout", server.RequestTimeout, "deadline of a Get or Set (a client's shorter one wins)")
	fs.DurationVar(&o.minSample, "min-sample-interval", server.MinSampleInterval, "shortest SAMPLE and heartbeat interval accepted; a sample_interval of 0 gets it")
	fs.IntVar(&o.subQueue, "subscription-queue", server.SubscriptionQueue, "changed leaves that may wait for one slow subscriber before it is resynchronised instead")
	fs.StringVar(&o.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log `format`: text or json")
	fs.DurationVar(&o.shutdownIn, "shutdown-timeout", 10*time.Second, "how long to wait for RPCs to finish on SIGTERM")
	fs.IntVar(&o.history, "history-commits", datastore.DefaultOptions("").HistoryCommits, "newest `N` commits kept in the history, with their changes, for reads and rollback")
	fs.StringVar(&o.accessFile, "access-file", "", "YAML `file` of users, password hashes and roles; without one, nwmod serves every request, as user anonymous or its client certificate's name. Read again on SIGHUP")
	fs.StringVar(&o.auditLog, "audit-log", "", "audit trail `file`: every Set and admin change, allowed or denied, and every refused request, one JSON object a line (default DATA-DIR/audit.log)")
	fs.Int64Var(&o.auditMaxSize, "audit-max-size", 100<<20, "`bytes` past which the audit trail rotates (FILE.1 to FILE.8 are kept)")
	fs.IntVar(&o.sims, "sim", 0, "start `N` simulated elements in-process, sim-0 to sim-N-1 on free loopback ports, and put them in the inventory")
	fs.Usage = flagconfig.Usage(fs, "usage: nwmod [options]\n\nnwmod serves gNMI over a durable datastore of network element configurations.")
	if err := flagconfig.Parse(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, flagconfig.UsageError{Err: err}
	}
	if o.history < 1 {
		return nil, flagconfig.UsageError{Err: fmt.Errorf("--history-commits must be at least 1, not %d", o.history)}
	}
	if o.auditMaxSize < 1 {
		return nil, flagconfig.UsageError{Err: fmt.Errorf("--audit-max-size must be positive, not %d", o.auditMaxSize)}
	}
	if o.auditLog == "" {
		o.auditLog = filepath.Join(o.dataDir, "audit.log")
	}
	if fs.NArg() > 0 {
		return nil, flagconfig.UsageError{Err: fmt.Errorf("unexpected arguments %q (see --help)", fs.Args())}
	}
	return o, nil
}

// run serves until ctx is done. stopSignals restores the default signal
// handling, so that a second SIGINT or SIGTERM during a slow shutdown
// kills the process at once.
func run(ctx context.Context, stopSignals func(), args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := flagconfig.NewLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return flagconfig.UsageError{Err: err}
	}
	if err := checkPlaintext(o.listen, o.tls); err != nil {
		return flagconfig.UsageError{Err: err}
	}
	if err := os.MkdirAll(o.dataDir, 0o750); err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	var ctl *access.Control
	if o.accessFile != "" {
		if ctl, err = access.Open(o.accessFile); err != nil {
			return err
		}
	}
	go reloadOnHangup(ctx, ctl, log)
	trail, err := audit.Open(o.auditLog, o.auditMaxSize, log)
	if err != nil {
		return err
	}
	// Deferred first, so it runs last: every request has finished.
	defer func() {
		if err := trail.Close(); err != nil {
			log.Error("closing the audit trail", "err", err)
		}
	}()
	creds := insecure.NewCredentials()
	if o.tls.enabled() {
		if creds, err = o.tls.transportCredentials(); err != nil {
			return err
		}
	}

	south, err := newSouthbound(o.sims, log)
	if err != nil {
		return err
	}
	store, err := datastore.Open(datastore.DefaultOptions(o.dataDir).WithLogger(log).WithPusher(south.manager).
		WithHistoryCommits(o.history))
	if err != nil {
		south.close()
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the datastore", "err", err)
		}
	}()
	// Deferred after the store's Close, so it runs first.
	defer south.close()
	if err := south.start(ctx, store); err != nil {
		return err
	}
	srv := server.New(store,
		server.WithLogger(log),
		server.WithMaxMessageSize(o.maxMsg),
		server.WithMaxSubscriptions(o.maxSubs, o.maxClientSubs),
		server.WithRequestTimeout(o.reqTimeout),
		server.WithMinSampleInterval(o.minSample),
		server.WithSubscriptionQueue(o.subQueue),
		server.WithAccess(ctl),
		server.WithAudit(trail),
		server.WithTransportCredentials(creds),
	)
	defer srv.Close()

	lis, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	g := grpc.NewServer(srv.GRPCOptions()...)
	srv.Register(g)
	srv.RegisterAdmin(g)

	served := make(chan error, 1)
	go func() { served <- g.Serve(lis) }()
	log.Info("serving gNMI", "addr", lis.Addr().String(), "tls", o.tls.enabled(), "data-dir", o.dataDir,
		"access-file", o.accessFile, "audit-log", o.auditLog)

	select {
	case err := <-served:
		return fmt.Errorf("gRPC server: %w", err)
	case <-ctx.Done():
	}
	stopSignals()
	log.Info("shutting down", "timeout", o.shutdownIn.String())
	// Subscriptions never end by themselves: end them first, so that the
	// graceful stop waits only for Gets and Sets in flight. The datastore
	// closes (deferred) once the gRPC server has stopped.
	srv.Close()
	stopped := make(chan struct{})
	go func() { g.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(o.shutdownIn):
		g.Stop()
	}
	log.Info("stopped")
	return nil
}

// reloadOnHangup reads the access file again on every SIGHUP until ctx
// is done; a file that does not load leaves the policy in force. Without
// an access file (ctl nil) a SIGHUP is only logged: it must not kill the
// server, as it would by default.
func reloadOnHangup(ctx context.Context, ctl *access.Control, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if ctl == nil {
				log.Info("SIGHUP: no access file to reload")
				continue
			}
			if err := ctl.Reload(); err != nil {
				log.Error("access file not reloaded; the policy in force stays", "err", err)
				continue
			}
			log.Info("access file reloaded", "file", ctl.File())
		}
	}
}
