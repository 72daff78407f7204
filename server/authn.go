package server

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/server/access"
	"github.com/nwmo/nwmo/server/audit"
)

// Anonymous is the user of every request when nwmod has no access file
// and the client no certificate.
const Anonymous = "anonymous"

// callerKey keys the request's caller in its context.
type callerKey struct{}

// caller is who makes a request, and the access policy it is checked
// against from start to end, whatever reload comes meanwhile.
type caller struct {
	user string
	pol  *access.Policy // nil without an access file
}

// userOf is who makes the request of ctx, as authenticate found.
func userOf(ctx context.Context) string {
	if c, ok := ctx.Value(callerKey{}).(*caller); ok {
		return c.user
	}
	return Anonymous
}

// policy is the access policy of the request of ctx, as authenticate
// found it, or nil without an access file.
func (s *Server) policy(ctx context.Context) *access.Policy {
	if c, ok := ctx.Value(callerKey{}).(*caller); ok && c.pol != nil {
		return c.pol
	}
	if s.opts.access == nil {
		return nil
	}
	return s.opts.access.Policy()
}

// authenticate finds who makes a request, before any RPC runs:
//   - a username and password in the metadata (what gnmic -u -p sends),
//     checked against the access file; without one, refused, since
//     nothing could check them;
//   - else the common name of a client certificate that mutual TLS
//     verified, which must name a user of the access file when there is
//     one;
//   - else, without an access file, Anonymous; with one, nobody, which is
//     Unauthenticated.
func (s *Server) authenticate(ctx context.Context, method string) (context.Context, error) {
	// ValueFromIncomingContext, unlike FromIncomingContext, copies no
	// metadata: this runs for every RPC.
	name, password := first(ctx, "username"), first(ctx, "password")
	cn := certName(ctx)
	var pol *access.Policy
	if s.opts.access != nil {
		pol = s.opts.access.Policy()
	}
	var user string
	var err error
	switch {
	case name != "" && pol == nil:
		err = status.Errorf(codes.Unauthenticated, "user %s: nwmod has no access file (--access-file), so it checks no passwords; leave out the username and password", name)
	case name != "":
		// A Subscribe has no deadline of its own: waiting for a bcrypt
		// slot behind a flood of wrong passwords is bounded by the
		// request timeout.
		actx, cancel := context.WithTimeout(ctx, s.opts.requestTimeout)
		err = pol.Authenticate(actx, name, password)
		cancel()
		if err != nil {
			if errors.Is(err, access.ErrBadCredentials) {
				err = status.Error(codes.Unauthenticated, err.Error())
			} else {
				err = status.FromContextError(err).Err()
			}
		}
		user = name
	case cn != "" && pol != nil && !pol.Known(cn):
		err = status.Errorf(codes.Unauthenticated, "client certificate %q names no user of the access file", cn)
		user = cn
	case cn != "":
		user = cn
	case pol != nil:
		err = status.Error(codes.Unauthenticated, "no credentials: give a username and password (gnmic -u -p) or a client certificate")
	default:
		return ctx, nil // userOf's default: Anonymous
	}
	if err != nil {
		s.auditRecord(ctx, &audit.Record{User: user, RPC: rpcName(method)}, err)
		return nil, err
	}
	return context.WithValue(ctx, callerKey{}, &caller{user: user, pol: pol}), nil
}

func first(ctx context.Context, key string) string {
	if v := metadata.ValueFromIncomingContext(ctx, key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// certName is the common name of the client certificate mutual TLS
// verified, if any.
func certName(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return ""
	}
	tlsInfo, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(tlsInfo.State.VerifiedChains) == 0 || len(tlsInfo.State.VerifiedChains[0]) == 0 {
		return ""
	}
	return tlsInfo.State.VerifiedChains[0][0].Subject.CommonName
}

// peerHost is the client's host, for per-client limits and the audit
// trail.
func peerHost(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		host := p.Addr.String()
		if h, _, err := net.SplitHostPort(host); err == nil {
			return h
		}
		return host
	}
	return "unknown"
}

// rpcName shortens a gRPC method name for messages and the audit trail:
// /gnmi.gNMI/Set is gnmi.Set, /nwmo.admin.v1.Admin/Rollback is
// admin.Rollback.
func rpcName(method string) string {
	service, name := "", method
	if i := strings.LastIndexByte(method, '/'); i >= 0 {
		service, name = method[:i], method[i+1:]
	}
	switch service {
	case "/gnmi.gNMI":
		return "gnmi." + name
	case "/nwmo.admin.v1.Admin":
		return "admin." + name
	}
	return method
}

func (s *Server) unaryAuth(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, err := s.authenticate(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (s *Server) streamAuth(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, err := s.authenticate(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	if ctx == ss.Context() {
		return handler(srv, ss)
	}
	return handler(srv, &userStream{ServerStream: ss, ctx: ctx})
}

// userStream is a stream whose context knows its user.
type userStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (u *userStream) Context() context.Context { return u.ctx }

// auditDenied records a request the access policy refused; other errors
// of reads are not the audit trail's business.
func (s *Server) auditDenied(ctx context.Context, rpc, target string, err error) {
	if errors.Is(err, errDenied) || errors.Is(err, errHidden) {
		s.auditRecord(ctx, &audit.Record{User: userOf(ctx), RPC: rpc, Target: target}, err)
	}
}

// auditRecord completes r with the time, the client and the outcome, and
// adds it to the audit trail, if there is one.
func (s *Server) auditRecord(ctx context.Context, r *audit.Record, err error) {
	if s.opts.audit == nil {
		return
	}
	r.Time = time.Now()
	r.Peer = peerHost(ctx)
	r.Code = "OK"
	if err != nil {
		st := status.Convert(toStatus(err))
		r.Code, r.Error = st.Code().String(), st.Message()
	}
	s.opts.audit.Record(r)
}
