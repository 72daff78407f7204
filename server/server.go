package server

import (
	"log/slog"
	"math"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
)

// MaxMessageSize is the default limit on one gRPC message. Real device
// configurations reach 15 MB of JSON and Get answers over 10 MB, so gRPC's
// 4 MiB default is far too small.
const MaxMessageSize = 256 << 20

// Server implements the gNMI service.
type Server struct {
	gpb.UnimplementedGNMIServer

	log *slog.Logger
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) { s.log = l }
}

// New returns a Server.
func New(opts ...Option) *Server {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Register registers the gNMI service on g.
func (s *Server) Register(g grpc.ServiceRegistrar) {
	gpb.RegisterGNMIServer(g, s)
}

// GRPCOptions are the gRPC server options nwmod's services need: message
// size limits large enough for whole device configurations, and no limit on
// concurrent streams (each subscription is one).
func GRPCOptions(maxMsg int) []grpc.ServerOption {
	if maxMsg <= 0 {
		maxMsg = MaxMessageSize
	}
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(maxMsg),
		grpc.MaxSendMsgSize(maxMsg),
		grpc.MaxConcurrentStreams(math.MaxUint32),
	}
}
