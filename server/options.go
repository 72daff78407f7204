package server

import (
	"log/slog"
	"math"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/nwmo/nwmo/server/access"
	"github.com/nwmo/nwmo/server/audit"
)

// Defaults of the options.
const (
	// MaxMessageSize is the default limit on one gRPC message, either way.
	// Real device configurations reach 15 MB of JSON and Get answers over
	// 10 MB, so gRPC's 4 MiB default is far too small.
	MaxMessageSize = 256 << 20
	// MaxSubscriptions is the default limit on Subscribe RPCs open at once.
	MaxSubscriptions = 10_000
	// MaxClientSubscriptions is the default limit on Subscribe RPCs open at
	// once by one client (one user from one host).
	MaxClientSubscriptions = 1_000
	// RequestTimeout is the default deadline of a Get or Set: a whole
	// device configuration is validated and pushed within it.
	RequestTimeout = 5 * time.Minute
	// MinSampleInterval is the default shortest SAMPLE (and heartbeat)
	// interval; a sample re-reads the subscribed subtree, so a shorter one
	// would let one client keep a core busy.
	MinSampleInterval = 100 * time.Millisecond
	// SubscriptionQueue is the default number of changed leaves that may
	// wait for a slow subscriber before it is resynchronised instead.
	SubscriptionQueue = 100_000
	// StreamWorkers is how many goroutines gRPC keeps to run RPCs on. A
	// Set's call chain (decoding, validation, the commit) is deep; a
	// fresh goroutine per RPC starts with a small stack and copies it at
	// every doubling, which with 16 clients took 5% of the CPU. A worker
	// keeps its grown stack. Each Subscribe holds a worker while it
	// lasts; when all are busy an RPC gets a goroutine of its own, as
	// without workers.
	StreamWorkers = 256
)

// options are the settings of a Server.
type options struct {
	log               *slog.Logger
	maxMsg            int
	maxSubs           int
	maxClientSubs     int
	requestTimeout    time.Duration
	minSample         time.Duration
	queue             int
	access            *access.Control
	audit             *audit.Trail
	creds             credentials.TransportCredentials
	pingHold          time.Duration
	inboxEvents       int
	notificationLimit int
}

func defaultOptions() options {
	return options{
		log:               slog.New(slog.DiscardHandler),
		maxMsg:            MaxMessageSize,
		maxSubs:           MaxSubscriptions,
		maxClientSubs:     MaxClientSubscriptions,
		requestTimeout:    RequestTimeout,
		minSample:         MinSampleInterval,
		queue:             SubscriptionQueue,
		creds:             insecure.NewCredentials(),
		pingHold:          pingHold,
		inboxEvents:       4096,
		notificationLimit: 2048,
	}
}

// Option configures a Server.
type Option func(*options)

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithMaxMessageSize sets the largest gRPC message in bytes, either way;
// n <= 0 keeps the default (MaxMessageSize).
func WithMaxMessageSize(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxMsg = n
		}
	}
}

// WithMaxSubscriptions limits the Subscribe RPCs open at once, in total and
// per client; a limit <= 0 keeps its default. A Subscribe beyond a limit
// fails with ResourceExhausted.
func WithMaxSubscriptions(total, perClient int) Option {
	return func(o *options) {
		if total > 0 {
			o.maxSubs = total
		}
		if perClient > 0 {
			o.maxClientSubs = perClient
		}
	}
}

// WithRequestTimeout bounds every Get and Set: a client deadline later
// than d, or none, becomes d. d <= 0 keeps the default.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.requestTimeout = d
		}
	}
}

// WithMinSampleInterval sets the shortest SAMPLE and heartbeat interval
// accepted; a sample_interval of 0 gets it. d <= 0 keeps the default.
func WithMinSampleInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.minSample = d
		}
	}
}

// WithSubscriptionQueue sets how many changed leaves may wait for one
// subscriber (a whole commit counts as many as it holds); beyond that the
// subscriber is resynchronised with the current state instead, so that
// memory stays bounded. n <= 0 keeps the default.
func WithSubscriptionQueue(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.queue = n
		}
	}
}

// WithAccess makes every request authenticate (a password or a client
// certificate) and checks it against the access policy in force. Without
// it every request is allowed, as user Anonymous or the common name of
// its client certificate.
func WithAccess(c *access.Control) Option {
	return func(o *options) { o.access = c }
}

// WithAudit records in t every Set and every change through the admin
// service, allowed or not, and every request refused for its
// credentials or by the access policy.
func WithAudit(t *audit.Trail) Option {
	return func(o *options) { o.audit = t }
}

// WithTransportCredentials serves over c, TLS for one; the default is
// plain TCP.
func WithTransportCredentials(c credentials.TransportCredentials) Option {
	return func(o *options) { o.creds = c }
}

// GRPCOptions are the gRPC server options the gNMI service needs: message
// size limits large enough for whole device configurations, no limit on
// concurrent streams (each subscription is one; the server counts them
// itself), and the transport credentials, whose connections hold back
// their writes of pings (pinghold.go).
func (s *Server) GRPCOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.Creds(pingHoldCreds{TransportCredentials: s.opts.creds, hold: s.opts.pingHold}),
		grpc.MaxRecvMsgSize(s.opts.maxMsg),
		grpc.MaxSendMsgSize(s.opts.maxMsg),
		grpc.MaxConcurrentStreams(math.MaxUint32),
		grpc.ForceServerCodecV2(newCodec()),
		grpc.NumStreamWorkers(StreamWorkers),
		grpc.UnaryInterceptor(s.unaryAuth),
		grpc.StreamInterceptor(s.streamAuth),
	}
}
