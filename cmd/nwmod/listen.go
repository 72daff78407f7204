package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"google.golang.org/grpc/credentials"
)

// isLoopback reports whether a listen address can only be reached from this
// machine. An empty host or an unspecified address (0.0.0.0, ::) listens on
// every interface and so is not loopback.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %v", addr, err)
	}
	switch host {
	case "":
		return false, nil
	case "localhost":
		return true, nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return false, fmt.Errorf("listen address %q: cannot resolve %q", addr, host)
		}
		for _, ip := range ips {
			if !ip.IsLoopback() {
				return false, nil
			}
		}
		return true, nil
	}
	return ip.IsLoopback(), nil
}

// tlsOptions are the TLS settings of a listener.
type tlsOptions struct {
	cert, key, ca string
}

func (t tlsOptions) enabled() bool { return t.cert != "" || t.key != "" || t.ca != "" }

// transportCredentials loads the server's certificate and, when a CA is
// given, requires clients to present a certificate signed by it (mutual
// TLS).
func (t tlsOptions) transportCredentials() (credentials.TransportCredentials, error) {
	if t.cert == "" || t.key == "" {
		return nil, errors.New("TLS needs both --tls-cert and --tls-key")
	}
	pair, err := tls.LoadX509KeyPair(t.cert, t.key)
	if err != nil {
		return nil, fmt.Errorf("loading TLS key pair: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if t.ca != "" {
		pem, err := os.ReadFile(t.ca)
		if err != nil {
			return nil, fmt.Errorf("reading --tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", t.ca)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return credentials.NewTLS(cfg), nil
}

// checkPlaintext refuses a plaintext listener on anything but loopback:
// gNMI carries configuration and credentials.
func checkPlaintext(addr string, t tlsOptions) error {
	if t.enabled() {
		return nil
	}
	loop, err := isLoopback(addr)
	if err != nil {
		return err
	}
	if !loop {
		return fmt.Errorf("refusing to serve plaintext gNMI on %s, which is not a loopback address: "+
			"give --tls-cert and --tls-key (and --tls-ca for mutual TLS), or listen on 127.0.0.1", addr)
	}
	return nil
}
