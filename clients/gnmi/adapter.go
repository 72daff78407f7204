package gnmi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/nwmo/nwmo/clients"
)

// maxMessageSize allows whole device configurations either way: they
// reach 15 MB of JSON, far past gRPC's 4 MiB default.
const maxMessageSize = 256 << 20

type options struct {
	dial  []grpc.DialOption
	roots *x509.CertPool
}

// Option configures the adapter.
type Option func(*options)

// WithDialOptions adds gRPC dial options, e.g. a context dialer for
// in-memory elements in tests and benchmarks.
func WithDialOptions(o ...grpc.DialOption) Option {
	return func(opts *options) { opts.dial = append(opts.dial, o...) }
}

// WithRootCAs sets the certificate authorities that elements with TLS are
// checked against; the default is the system's.
func WithRootCAs(pool *x509.CertPool) Option { return func(o *options) { o.roots = pool } }

// Dialer returns a clients.Dialer of gNMI elements.
func Dialer(opts ...Option) clients.Dialer {
	return func(ctx context.Context, t clients.Target) (clients.Adapter, error) {
		return Dial(ctx, t, opts...)
	}
}

// Adapter is a connection to one gNMI element.
type Adapter struct {
	t    clients.Target
	conn *grpc.ClientConn
	c    gpb.GNMIClient
	enc  gpb.Encoding // for Get and Subscribe
	// cc is whether the element has confirmed commits; noGet, whether Get
	// is unimplemented (configuration is then read with Subscribe ONCE).
	cc    atomic.Bool
	noGet atomic.Bool
}

var _ clients.Adapter = (*Adapter)(nil)

// Dial connects to the element t names and returns once it answered:
// Capabilities (Unimplemented counts as an answer) and the probe for
// confirmed commits.
func Dial(ctx context.Context, t clients.Target, opts ...Option) (*Adapter, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	creds := insecure.NewCredentials()
	if t.TLS {
		creds = credentials.NewTLS(&tls.Config{RootCAs: o.roots, InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12})
	}
	dopts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize)),
	}
	if t.Username != "" {
		dopts = append(dopts, grpc.WithPerRPCCredentials(password{user: t.Username, pass: t.Password}))
	}
	// passthrough: the address goes to the dialer as it is, as gnmic -a
	// does, instead of through the DNS resolver.
	conn, err := grpc.NewClient("passthrough:///"+t.Address, append(dopts, o.dial...)...)
	if err != nil {
		return nil, err
	}
	a := &Adapter{t: t, conn: conn, c: gpb.NewGNMIClient(conn), enc: gpb.Encoding_JSON_IETF}
	caps, err := a.c.Capabilities(ctx, &gpb.CapabilityRequest{})
	switch status.Code(err) {
	case codes.OK:
		a.enc = encoding(caps.GetSupportedEncodings())
	case codes.Unimplemented:
	default:
		conn.Close()
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	cc, err := a.probe(ctx)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("probing for confirmed commits: %w", err)
	}
	a.cc.Store(cc)
	return a, nil
}

// encoding picks how to read from the element: PROTO gives leaves one by
// one, which needs no JSON decoding and skips what nwmo's models lack
// leaf by leaf; JSON_IETF is the next best.
func encoding(supported []gpb.Encoding) gpb.Encoding {
	for _, want := range []gpb.Encoding{gpb.Encoding_PROTO, gpb.Encoding_JSON_IETF, gpb.Encoding_JSON} {
		for _, s := range supported {
			if s == want {
				return want
			}
		}
	}
	return gpb.Encoding_JSON_IETF
}

// probe finds whether the element has confirmed commits, by confirming one
// that does not exist: harmless on every element.
func (a *Adapter) probe(ctx context.Context) (bool, error) {
	id := "nwmo-probe-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	_, err := a.c.Set(ctx, &gpb.SetRequest{Extension: ext(confirmOf(id))})
	switch status.Code(err) {
	case codes.FailedPrecondition, codes.InvalidArgument:
		return true, nil
	case codes.OK, codes.Unimplemented:
		return false, nil
	}
	return false, err
}

// CommitConfirmed reports whether the element has confirmed commits.
func (a *Adapter) CommitConfirmed() bool { return a.cc.Load() }

// Config reads the element's configuration with Get (type CONFIG), or
// what is under paths with Subscribe ONCE, which unlike Get does not fail
// on a path that holds nothing. Elements without Get are read with
// Subscribe ONCE too.
func (a *Adapter) Config(ctx context.Context, paths ...[]*gpb.PathElem) ([]*gpb.Notification, error) {
	if len(paths) == 0 && !a.noGet.Load() {
		resp, err := a.c.Get(ctx, &gpb.GetRequest{Path: []*gpb.Path{{}}, Type: gpb.GetRequest_CONFIG, Encoding: a.enc})
		if status.Code(err) != codes.Unimplemented {
			return resp.GetNotification(), err
		}
		a.noGet.Store(true)
	}
	if len(paths) == 0 {
		paths = [][]*gpb.PathElem{nil}
	}
	return a.once(ctx, paths)
}

func (a *Adapter) once(ctx context.Context, paths [][]*gpb.PathElem) ([]*gpb.Notification, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sc, err := a.c.Subscribe(ctx)
	if err != nil {
		return nil, err
	}
	list := &gpb.SubscriptionList{Prefix: openconfig(), Mode: gpb.SubscriptionList_ONCE, Encoding: a.enc}
	for _, p := range paths {
		list.Subscription = append(list.Subscription, &gpb.Subscription{Path: &gpb.Path{Elem: p}})
	}
	if err := sc.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: list}}); err != nil {
		return nil, err
	}
	var out []*gpb.Notification
	for {
		resp, err := sc.Recv()
		if err != nil {
			return nil, err
		}
		if resp.GetSyncResponse() {
			return out, nil
		}
		if n := resp.GetUpdate(); n != nil {
			out = append(out, n)
		}
	}
}

// Apply sends the change with Set, as a confirmed commit when c is given.
func (a *Adapter) Apply(ctx context.Context, req *gpb.SetRequest, c *clients.Confirm) error {
	r := &gpb.SetRequest{Prefix: req.GetPrefix(), Delete: req.GetDelete(), Replace: req.GetReplace(),
		Update: req.GetUpdate(), UnionReplace: req.GetUnionReplace()}
	if c != nil {
		r.Extension = ext(&gnmi_ext.Commit{Id: c.ID, Action: &gnmi_ext.Commit_Commit{
			Commit: &gnmi_ext.CommitRequest{RollbackDuration: durationpb.New(c.Rollback)}}})
	}
	_, err := a.c.Set(ctx, r)
	if c != nil && status.Code(err) == codes.Unimplemented {
		a.cc.Store(false)
	}
	return err
}

// Confirm confirms the element's pending commit id.
func (a *Adapter) Confirm(ctx context.Context, id string) error {
	_, err := a.c.Set(ctx, &gpb.SetRequest{Extension: ext(confirmOf(id))})
	return err
}

// Cancel cancels the element's pending commit id.
func (a *Adapter) Cancel(ctx context.Context, id string) error {
	_, err := a.c.Set(ctx, &gpb.SetRequest{Extension: ext(&gnmi_ext.Commit{Id: id, Action: &gnmi_ext.Commit_Cancel{Cancel: &gnmi_ext.CommitCancel{}}})})
	return err
}

func ext(c *gnmi_ext.Commit) []*gnmi_ext.Extension {
	return []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: c}}}
}

func confirmOf(id string) *gnmi_ext.Commit {
	return &gnmi_ext.Commit{Id: id, Action: &gnmi_ext.Commit_Confirm{Confirm: &gnmi_ext.CommitConfirm{}}}
}

// Subscribe streams every change under the root, ON_CHANGE, until ctx
// ends or the stream breaks.
func (a *Adapter) Subscribe(ctx context.Context, fn func(*gpb.Notification)) error {
	sc, err := a.c.Subscribe(ctx)
	if err != nil {
		return err
	}
	list := &gpb.SubscriptionList{
		Prefix:       openconfig(),
		Mode:         gpb.SubscriptionList_STREAM,
		Encoding:     a.enc,
		Subscription: []*gpb.Subscription{{Path: &gpb.Path{}, Mode: gpb.SubscriptionMode_ON_CHANGE}},
	}
	if err := sc.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: list}}); err != nil {
		return err
	}
	for {
		resp, err := sc.Recv()
		if status.Code(err) == codes.Unimplemented {
			return fmt.Errorf("%w: %w", clients.ErrUnsupported, err)
		}
		if err != nil {
			return err
		}
		if n := resp.GetUpdate(); n != nil {
			fn(n)
		}
	}
}

// openconfig is the prefix of subscriptions: the origin is OpenConfig's,
// which is the default, but some elements (lemming) match subscriptions
// against it only when it is spelled out.
func openconfig() *gpb.Path { return &gpb.Path{Origin: "openconfig"} }

// Close closes the connection.
func (a *Adapter) Close() error { return a.conn.Close() }

// password sends the username and password as gRPC metadata with every
// request, as gnmic -u -p does. It is sent without TLS too: the inventory
// says whether an element uses TLS.
type password struct{ user, pass string }

func (p password) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"username": p.user, "password": p.pass}, nil
}

func (password) RequireTransportSecurity() bool { return false }
