// Command nwmo is the operator CLI of nwmod: the commit history, rollback,
// candidates and confirmed commits, through nwmod's admin service. gnmic
// (or any gNMI client) does the rest: reads, writes, subscriptions.
//
//	nwmo [flags] history [--element E] [--user U] [--limit N]
//	nwmo [flags] show ID
//	nwmo [flags] rollback ID [-m MESSAGE]
//	nwmo [flags] candidates
//	nwmo [flags] diff CANDIDATE
//	nwmo [flags] commit CANDIDATE [-m MESSAGE] [--confirm-id ID [--rollback-duration D]]
//	nwmo [flags] discard CANDIDATE
//	nwmo [flags] confirm ID
//	nwmo [flags] cancel ID
//	nwmo hash-password
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/gen/adminpb"
)

const usage = `nwmo: the operator CLI of nwmod.

Usage: nwmo [flags] COMMAND [ARGS]

Commands:
  history [--element E] [--user U] [--limit N]   the commits the history keeps
  show ID                                        a commit and its change, leaf by leaf
  rollback ID [-m MESSAGE]                       make every element changed since commit ID what it was then
  candidates                                     the open candidates
  diff CANDIDATE                                 what committing a candidate would change now
  commit CANDIDATE [-m MESSAGE] [--confirm-id ID [--rollback-duration D]]
                                                 commit a candidate (confirmed, with --confirm-id)
  discard CANDIDATE                              throw a candidate away
  confirm ID                                     make the pending confirmed commit ID permanent
  cancel ID                                      roll the pending confirmed commit ID back now
  hash-password                                  read a password (on stdin) and print its hash for an access file

Credentials: -u/--username and -p/--password, or NWMO_USERNAME and
NWMO_PASSWORD (better: a password on the command line is visible to other
users of the machine), or a client certificate (--tls-cert, --tls-key).

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the CLI: it returns the exit status, 2 for a usage error and 1
// for a failed request.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("nwmo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	addr := fs.String("address", "127.0.0.1:9339", "nwmod's address, HOST:PORT")
	fs.StringVar(addr, "a", "127.0.0.1:9339", "shorthand for --address")
	timeout := fs.Duration("timeout", time.Minute, "how long a request may take")
	asJSON := fs.Bool("json", false, "print the service's answer as JSON")
	maxMsg := fs.Int("max-msg-size", 256<<20, "largest answer in `bytes` (nwmod's --max-msg-size default)")
	var t tlsFlags
	fs.StringVar(&t.ca, "tls-ca", "", "verify nwmod's certificate with this CA (PEM); TLS is off without a --tls-* flag")
	fs.StringVar(&t.cert, "tls-cert", "", "client certificate (PEM), for mutual TLS")
	fs.StringVar(&t.key, "tls-key", "", "client key (PEM), for mutual TLS")
	fs.BoolVar(&t.skipVerify, "tls-skip-verify", false, "TLS without verifying nwmod's certificate")
	// The environment's values are read after parsing, not given as
	// defaults, which --help would print.
	user := fs.String("username", "", "user name, for nwmod's access file (default $NWMO_USERNAME)")
	fs.StringVar(user, "u", "", "shorthand for --username")
	password := fs.String("password", "", "password of --username (default $NWMO_PASSWORD)")
	fs.StringVar(password, "p", "", "shorthand for --password")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *user == "" {
		*user = os.Getenv("NWMO_USERNAME")
	}
	if *password == "" {
		*password = os.Getenv("NWMO_PASSWORD")
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	name := fs.Arg(0)
	if name == "hash-password" {
		return hashPassword(fs.Args()[1:], stdin, stdout, stderr)
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "nwmo: unknown command %q\n\n", name)
		fs.Usage()
		return 2
	}
	creds, err := t.credentials()
	if err != nil {
		fmt.Fprintln(stderr, "nwmo:", err)
		return 2
	}
	// An answer (a large commit's changes) may be as large as nwmod sends.
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(*maxMsg)))
	if err != nil {
		fmt.Fprintln(stderr, "nwmo:", err)
		return 2
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *user != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "username", *user, "password", *password)
	}
	c := &call{ctx: ctx, admin: adminpb.NewAdminClient(conn), out: stdout, json: *asJSON}
	if err := cmd(c, name, fs.Args()[1:]); err != nil {
		var help helpText
		if errors.As(err, &help) {
			fmt.Fprint(stderr, help)
			return 0
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "nwmo %s: %s\n", name, ue)
			return 2
		}
		if st, ok := status.FromError(err); ok {
			fmt.Fprintf(stderr, "nwmo %s: %s: %s\n", name, st.Code(), st.Message())
		} else {
			fmt.Fprintf(stderr, "nwmo %s: %v\n", name, err)
		}
		return 1
	}
	return 0
}

// tlsFlags are the client's TLS settings.
type tlsFlags struct {
	ca, cert, key string
	skipVerify    bool
}

func (t tlsFlags) credentials() (credentials.TransportCredentials, error) {
	if t.ca == "" && t.cert == "" && t.key == "" && !t.skipVerify {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.skipVerify}
	if t.ca != "" {
		pem, err := os.ReadFile(t.ca)
		if err != nil {
			return nil, fmt.Errorf("reading --tls-ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", t.ca)
		}
	}
	if t.cert != "" || t.key != "" {
		pair, err := tls.LoadX509KeyPair(t.cert, t.key)
		if err != nil {
			return nil, fmt.Errorf("loading --tls-cert and --tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(cfg), nil
}

// usageError is a command given wrong arguments.
type usageError string

func (e usageError) Error() string { return string(e) }

// helpText is a command's help, asked for with -h or --help.
type helpText string

func (e helpText) Error() string { return string(e) }

// call is one command's request to nwmod.
type call struct {
	ctx   context.Context
	admin adminpb.AdminClient
	out   io.Writer
	json  bool
}

// print prints m as JSON when asked to, and otherwise calls text.
func (c *call) print(m proto.Message, text func()) {
	if c.json {
		b, _ := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(m)
		fmt.Fprintln(c.out, string(b))
		return
	}
	text()
}

var commands = map[string]func(c *call, name string, args []string) error{
	"history":    history,
	"show":       show,
	"rollback":   rollback,
	"candidates": candidates,
	"diff":       diff,
	"commit":     commitCandidate,
	"discard":    discard,
	"confirm":    confirm,
	"cancel":     cancelPending,
}

// parse parses a command's flags, before or after its arguments, and
// checks that it was given the arguments names names.
func parse(fs *flag.FlagSet, args []string, names ...string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			var b strings.Builder
			fmt.Fprintf(&b, "usage: nwmo [global flags] %s [flags]\n", strings.Join(append([]string{fs.Name()}, names...), " "))
			fs.SetOutput(&b)
			fs.PrintDefaults()
			return nil, helpText(b.String())
		} else if err != nil {
			return nil, usageError(err.Error())
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != len(names) {
		want := "no argument"
		if len(names) > 0 {
			want = strings.Join(names, " ")
		}
		return nil, usageError(fmt.Sprintf("takes %s, got %q", want, pos))
	}
	return pos, nil
}

// oneArg returns the one argument, named what, of a command without
// flags.
func oneArg(name string, args []string, what string) (string, error) {
	pos, err := parse(flag.NewFlagSet(name, flag.ContinueOnError), args, what)
	if err != nil {
		return "", err
	}
	return pos[0], nil
}

func commitID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, usageError(fmt.Sprintf("commit id %q is not a positive number", s))
	}
	return id, nil
}

func history(c *call, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	element := fs.String("element", "", "only the commits that changed this element")
	user := fs.String("user", "", "only the commits of this user")
	limit := fs.Uint("limit", 0, "only the newest N commits")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	resp, err := c.admin.History(c.ctx, &adminpb.HistoryRequest{Element: *element, User: *user, Limit: uint32(*limit)})
	if err != nil {
		return err
	}
	c.print(resp, func() {
		w := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tTIME\tUSER\tSTATUS\tELEMENTS\tMESSAGE")
		for _, m := range resp.GetCommits() {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", m.GetId(), when(m.GetTime()), m.GetUser(), m.GetStatus(),
				strings.Join(m.GetElements(), ","), m.GetMessage())
		}
		w.Flush()
	})
	return nil
}

func show(c *call, name string, args []string) error {
	arg, err := oneArg(name, args, "ID")
	if err != nil {
		return err
	}
	id, err := commitID(arg)
	if err != nil {
		return err
	}
	resp, err := c.admin.GetCommit(c.ctx, &adminpb.GetCommitRequest{Id: id})
	if err != nil {
		return err
	}
	c.print(resp, func() {
		m := resp.GetCommit()
		fmt.Fprintf(c.out, "commit %d\nuser:     %s\ntime:     %s\nstatus:   %s\nelements: %s\n", m.GetId(), m.GetUser(),
			when(m.GetTime()), m.GetStatus(), strings.Join(m.GetElements(), ", "))
		for _, kv := range [][2]string{{"message", m.GetMessage()}, {"candidate", m.GetCandidate()}} {
			if kv[1] != "" {
				fmt.Fprintf(c.out, "%-9s %s\n", kv[0]+":", kv[1])
			}
		}
		if m.GetRollbackOf() != 0 {
			fmt.Fprintf(c.out, "rollback of: %d\n", m.GetRollbackOf())
		}
		if m.GetConfirmDeadline() != 0 {
			fmt.Fprintf(c.out, "confirm by: %s\n", when(m.GetConfirmDeadline()))
		}
		printChanges(c.out, resp.GetChanges())
	})
	return nil
}

// printChanges prints changes as a diff: "-" an old value, "+" a new one.
func printChanges(out io.Writer, changes []*adminpb.ElementChange) {
	for _, ec := range changes {
		fmt.Fprintf(out, "\n[%s]\n", ec.GetElement())
		for _, l := range ec.GetLeaves() {
			if l.OldValue != nil {
				fmt.Fprintf(out, "- %s: %s\n", l.GetPath(), l.GetOldValue())
			}
			if l.NewValue != nil {
				fmt.Fprintf(out, "+ %s: %s\n", l.GetPath(), l.GetNewValue())
			}
		}
	}
}

func rollback(c *call, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	msg := fs.String("m", "", "the rollback commit's message")
	pos, err := parse(fs, args, "ID")
	if err != nil {
		return err
	}
	id, err := commitID(pos[0])
	if err != nil {
		return err
	}
	resp, err := c.admin.Rollback(c.ctx, &adminpb.RollbackRequest{Id: id, Message: *msg})
	if err != nil {
		return err
	}
	c.print(resp, func() { printResult(c.out, resp, fmt.Sprintf("rolled back to commit %d", id)) })
	return nil
}

func printResult(out io.Writer, r *adminpb.CommitResult, what string) {
	if r.GetId() == 0 {
		fmt.Fprintf(out, "%s: nothing to change\n", what)
		return
	}
	fmt.Fprintf(out, "%s: commit %d\n", what, r.GetId())
}

func candidates(c *call, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	resp, err := c.admin.ListCandidates(c.ctx, &adminpb.ListCandidatesRequest{})
	if err != nil {
		return err
	}
	c.print(resp, func() {
		w := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tOWNER\tCREATED\tLAST WRITE\tBASE\tEDITS\tELEMENTS")
		for _, m := range resp.GetCandidates() {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", m.GetName(), m.GetOwner(), when(m.GetCreated()), when(m.GetLastModified()),
				m.GetBaseCommit(), m.GetEdits(), strings.Join(m.GetElements(), ","))
		}
		w.Flush()
	})
	return nil
}

func diff(c *call, name string, args []string) error {
	arg, err := oneArg(name, args, "CANDIDATE")
	if err != nil {
		return err
	}
	resp, err := c.admin.DiffCandidate(c.ctx, &adminpb.DiffCandidateRequest{Name: arg})
	if err != nil {
		return err
	}
	c.print(resp, func() {
		if len(resp.GetChanges()) == 0 {
			fmt.Fprintf(c.out, "candidate %s changes nothing on running\n", arg)
			return
		}
		printChanges(c.out, resp.GetChanges())
	})
	return nil
}

func commitCandidate(c *call, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	msg := fs.String("m", "", "the commit's message")
	confirmID := fs.String("confirm-id", "", "a confirmed commit, to confirm or cancel with this id")
	d := fs.Duration("rollback-duration", 0, "with --confirm-id: rolled back unless confirmed within this (default 10m)")
	pos, err := parse(fs, args, "CANDIDATE")
	if err != nil {
		return err
	}
	if *d < 0 {
		return usageError(fmt.Sprintf("--rollback-duration %v is negative", *d))
	}
	if *d != 0 && *confirmID == "" {
		return usageError("--rollback-duration needs --confirm-id: only a confirmed commit is rolled back")
	}
	resp, err := c.admin.CommitCandidate(c.ctx, &adminpb.CommitCandidateRequest{Name: pos[0], Message: *msg,
		ConfirmId: *confirmID, RollbackDurationNs: uint64(*d)})
	if err != nil {
		return err
	}
	c.print(resp, func() {
		what := "committed candidate " + pos[0]
		if *confirmID != "" {
			what += fmt.Sprintf(", pending confirmation as %q", *confirmID)
		}
		printResult(c.out, resp, what)
	})
	return nil
}

func discard(c *call, name string, args []string) error {
	arg, err := oneArg(name, args, "CANDIDATE")
	if err != nil {
		return err
	}
	resp, err := c.admin.DiscardCandidate(c.ctx, &adminpb.DiscardCandidateRequest{Name: arg})
	if err != nil {
		return err
	}
	c.print(resp, func() { fmt.Fprintf(c.out, "discarded candidate %s\n", arg) })
	return nil
}

func confirm(c *call, name string, args []string) error {
	arg, err := oneArg(name, args, "ID")
	if err != nil {
		return err
	}
	resp, err := c.admin.Confirm(c.ctx, &adminpb.ConfirmRequest{Id: arg})
	if err != nil {
		return err
	}
	c.print(resp, func() { fmt.Fprintf(c.out, "confirmed %q (commit %d)\n", arg, resp.GetId()) })
	return nil
}

func cancelPending(c *call, name string, args []string) error {
	arg, err := oneArg(name, args, "ID")
	if err != nil {
		return err
	}
	resp, err := c.admin.Cancel(c.ctx, &adminpb.CancelRequest{Id: arg})
	if err != nil {
		return err
	}
	c.print(resp, func() { printResult(c.out, resp, fmt.Sprintf("cancelled %q", arg)) })
	return nil
}

// when formats a time in nanoseconds since the epoch; "-" for none.
func when(ns int64) string {
	if ns == 0 {
		return "-"
	}
	return time.Unix(0, ns).Local().Format(time.RFC3339)
}
