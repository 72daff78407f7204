package server

import (
	"context"
	"sync"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"

	"github.com/nwmo/nwmo/datastore"
)

// Server implements the gNMI service over a datastore.
type Server struct {
	gpb.UnimplementedGNMIServer

	store  *datastore.Store
	opts   options
	hub    *hub
	limits *limiter

	// closing is closed by Close: every open Subscribe ends then.
	closing   chan struct{}
	closeOnce sync.Once
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

var _ gpb.GNMIServer = (*Server)(nil)

// New returns a Server over store, which stays the caller's to close (after
// the Server).
func New(store *datastore.Store, opts ...Option) *Server {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		store:   store,
		opts:    o,
		limits:  newLimiter(o.maxSubs, o.maxClientSubs),
		closing: make(chan struct{}),
		cancel:  cancel,
	}
	s.hub = newHub(ctx, store, o.inboxEvents, o.log)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.hub.run()
	}()
	return s
}

// Register registers the gNMI service on g.
func (s *Server) Register(g grpc.ServiceRegistrar) {
	gpb.RegisterGNMIServer(g, s)
}

// Close ends every open Subscribe (with Unavailable) and stops reading the
// datastore's watch feed; call it before stopping the gRPC server, whose
// graceful stop would otherwise wait for subscriptions that never end.
// Get and Set keep working until the gRPC server stops. It is safe to call
// more than once and waits for the server's goroutines.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.cancel()
	})
	s.wg.Wait()
}

// requestContext bounds a unary RPC by the request timeout.
func (s *Server) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opts.requestTimeout)
}
