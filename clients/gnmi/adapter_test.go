package gnmi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/clients"
)

// element is a gNMI server that records what reaches it; confirmed says
// whether it answers the probe as an element with confirmed commits does.
type element struct {
	gpb.UnimplementedGNMIServer
	confirmed bool

	mu   sync.Mutex
	md   []metadata.MD
	sets []*gpb.SetRequest
}

func (e *element) record(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.md = append(e.md, md)
}

func (e *element) Capabilities(ctx context.Context, _ *gpb.CapabilityRequest) (*gpb.CapabilityResponse, error) {
	e.record(ctx)
	return &gpb.CapabilityResponse{SupportedEncodings: []gpb.Encoding{gpb.Encoding_JSON, gpb.Encoding_JSON_IETF}}, nil
}

func (e *element) Set(ctx context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	e.record(ctx)
	e.mu.Lock()
	e.sets = append(e.sets, req)
	e.mu.Unlock()
	if len(req.GetExtension()) > 0 && e.confirmed && len(req.GetUpdate()) == 0 {
		return nil, status.Error(codes.FailedPrecondition, "no confirmed commit is pending")
	}
	return &gpb.SetResponse{}, nil
}

// serve starts e on loopback, with TLS when cert is given.
func serve(t *testing.T, e *element, cert *tls.Certificate) string {
	t.Helper()
	var opts []grpc.ServerOption
	if cert != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{*cert}})))
	}
	s := grpc.NewServer(opts...)
	gpb.RegisterGNMIServer(s, e)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func selfSigned(t *testing.T) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestCredentialsAndTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	e := &element{confirmed: true}
	addr := serve(t, e, cert)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	target := clients.Target{Name: "dev", Address: addr, Username: "alice", Password: "secret", TLS: true, Timeout: time.Second}
	a, err := Dial(ctx, target, WithRootCAs(pool))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if !a.CommitConfirmed() {
		t.Error("an element answering the probe with FailedPrecondition is not taken as having confirmed commits")
	}
	if a.enc != gpb.Encoding_JSON_IETF {
		t.Errorf("read encoding %v, want JSON_IETF (PROTO is not offered)", a.enc)
	}
	e.mu.Lock()
	md := e.md[0]
	e.mu.Unlock()
	if u, p := md.Get("username"), md.Get("password"); len(u) != 1 || u[0] != "alice" || len(p) != 1 || p[0] != "secret" {
		t.Errorf("metadata %v, want username alice and password secret, as gnmic -u -p sends", md)
	}

	// An untrusted certificate is refused unless told to skip checks.
	if _, err := Dial(ctx, target); err == nil {
		t.Error("dialled an element with an untrusted certificate")
	}
	target.InsecureSkipVerify = true
	b, err := Dial(ctx, target)
	if err != nil {
		t.Fatalf("with tls-insecure-skip-verify: %v", err)
	}
	b.Close()
}

func TestNoCommitConfirmed(t *testing.T) {
	addr := serve(t, &element{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := Dial(ctx, clients.Target{Name: "dev", Address: addr, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.CommitConfirmed() {
		t.Error("an element that ignores the Commit extension is taken as having confirmed commits")
	}
}

func TestUnreachable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = Dial(ctx, clients.Target{Name: "dev", Address: addr, Timeout: time.Second})
	if status.Code(err) != codes.Unavailable {
		t.Errorf("Dial of a closed port: %v, want Unavailable", err)
	}
}
