package server

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/nwmo/nwmo/datastore"
)

// frame is one HTTP/2 frame: its header and payload.
func frame(typ, flags byte, stream uint32, payload []byte) []byte {
	l := len(payload)
	h := []byte{byte(l >> 16), byte(l >> 8), byte(l), typ, flags,
		byte(stream >> 24), byte(stream >> 16), byte(stream >> 8), byte(stream)}
	return append(h, payload...)
}

var (
	pingAck      = frame(framePing, 1, 0, make([]byte, 8))
	ping         = frame(framePing, 0, 0, make([]byte, 8))
	connWindow   = frame(frameWindowUpdate, 0, 0, []byte{0, 0, 0, 98})
	streamWindow = frame(frameWindowUpdate, 0, 3, []byte{0, 0, 0, 98})
	headers      = frame(1, 4, 3, []byte{0x88})
	data         = frame(0, 0, 3, []byte("response"))
)

func TestOnlyPings(t *testing.T) {
	cat := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	for _, c := range []struct {
		name string
		p    []byte
		want bool
	}{
		{"ping ack", pingAck, true},
		{"ping", ping, true},
		{"ack, window update, ping (gRPC's)", cat(pingAck, connWindow, ping), true},
		{"window update alone", connWindow, false},
		{"a stream's window update", cat(streamWindow, ping), false},
		{"ack and a response", cat(pingAck, headers, data), false},
		{"a response", cat(headers, data), false},
		{"a cut frame", pingAck[:12], false},
		{"a ping of the wrong length", frame(framePing, 1, 0, make([]byte, 9)), false},
		{"a ping on a stream", frame(framePing, 1, 5, make([]byte, 8)), false},
		{"empty", nil, false},
	} {
		if got := onlyPings(c.p); got != c.want {
			t.Errorf("%s: onlyPings = %v, want %v", c.name, got, c.want)
		}
	}
}

// recordingConn records each write made to it, and fails them with err.
type recordingConn struct {
	net.Conn // nil: only Write and Close are called
	mu       sync.Mutex
	writes   [][]byte
	attempts int // writes made, failed ones too
	err      error
}

func (r *recordingConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.err != nil {
		return 0, r.err
	}
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

func (r *recordingConn) Close() error { return nil }

func (r *recordingConn) recorded() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.writes...)
}

func TestPingHoldConn(t *testing.T) {
	rec := &recordingConn{}
	h := newPingHoldConn(rec, time.Hour)
	write := func(p []byte) {
		t.Helper()
		if n, err := h.Write(p); n != len(p) || err != nil {
			t.Fatalf("Write(%d bytes) = %d, %v", len(p), n, err)
		}
	}

	// Pings wait for the next write, which takes them along.
	write(pingAck)
	write(ping)
	if w := rec.recorded(); len(w) != 0 {
		t.Fatalf("%d writes reached the connection while only pings were written", len(w))
	}
	write(bytes.Join([][]byte{headers, data}, nil))
	want := bytes.Join([][]byte{pingAck, ping, headers, data}, nil)
	if w := rec.recorded(); len(w) != 1 || !bytes.Equal(w[0], want) {
		t.Fatalf("writes = %q, want the pings and the response in one: %q", w, want)
	}
	// Anything else goes at once.
	write(data)
	if w := rec.recorded(); len(w) != 2 || !bytes.Equal(w[1], data) {
		t.Fatalf("writes = %q, want the data written at once", w)
	}
	// A write too large to copy goes after what is held, in two.
	big := bytes.Repeat(data, 1000)
	write(pingAck)
	write(big)
	if w := rec.recorded(); len(w) != 4 || !bytes.Equal(w[2], pingAck) || !bytes.Equal(w[3], big) {
		t.Fatalf("after a large write: %d writes, want 4: the held ack, then the write", len(w))
	}
}

func TestPingHoldConnTimer(t *testing.T) {
	rec := &recordingConn{}
	h := newPingHoldConn(rec, time.Millisecond)
	if _, err := h.Write(pingAck); err != nil {
		t.Fatal(err)
	}
	// With no other write, the ack goes once the hold has passed.
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.recorded()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the held ack was never written")
		}
		time.Sleep(time.Millisecond)
	}
	if w := rec.recorded(); len(w) != 1 || !bytes.Equal(w[0], pingAck) {
		t.Fatalf("writes = %q, want the ack alone", w)
	}

	// A held write that the timer fails to write fails the next write,
	// which reaches the connection no more.
	rec.mu.Lock()
	rec.err = errors.New("connection reset")
	tried := rec.attempts
	rec.mu.Unlock()
	if _, err := h.Write(pingAck); err != nil {
		t.Fatalf("holding: %v", err)
	}
	for {
		rec.mu.Lock()
		flushed := rec.attempts > tried
		rec.mu.Unlock()
		if flushed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the held ack was never written")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := h.Write(data); err == nil || err.Error() != "connection reset" {
		t.Fatalf("Write after a failed held write: %v, want the held write's error", err)
	}
	if _, err := h.Write(pingAck); err == nil {
		t.Fatal("a write after a failure was held, not refused")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.attempts != tried+1 {
		t.Errorf("%d writes reached the connection after the failure, want only the held one", rec.attempts-tried)
	}
}

// countingCreds are plain TCP credentials whose connections count the
// writes that reach the socket: those that carry a PING frame, and those
// made of nothing but PING frames.
type countingCreds struct {
	credentials.TransportCredentials
	mu        sync.Mutex
	withPing  int
	pingsOnly int
}

type countingConn struct {
	net.Conn
	c *countingCreds
}

func (c countingConn) Write(p []byte) (int, error) {
	pings, others := countPings(p)
	c.c.mu.Lock()
	if pings > 0 {
		c.c.withPing++
		if others == 0 {
			c.c.pingsOnly++
		}
	}
	c.c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *countingCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.TransportCredentials.ServerHandshake(raw)
	return countingConn{conn, c}, info, err
}

func (c *countingCreds) counts() (withPing, pingsOnly int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.withPing, c.pingsOnly
}

// countPings counts the PING frames in p, whole HTTP/2 frames, and the
// frames of other types.
func countPings(p []byte) (pings, others int) {
	for len(p) >= frameHeaderLen {
		length := int(p[0])<<16 | int(p[1])<<8 | int(p[2])
		if p[3] == framePing {
			pings++
		} else {
			others++
		}
		p = p[min(len(p), frameHeaderLen+length):]
	}
	return pings, others
}

// TestPingHoldServer: a gRPC-Go client pings nwmod each time a response
// reaches it, and nwmod pings it each time a request does. The pings and
// their acknowledgements leave with the responses (or with a connection
// window update, which is not held), never in writes of their own. How
// many writes a response takes is gRPC's affair and depends on
// scheduling; that no write is pings alone does not.
func TestPingHoldServer(t *testing.T) {
	counted := &countingCreds{TransportCredentials: insecure.NewCredentials()}
	f := newFixtureStore(t, datastore.DefaultOptions(t.TempDir()), WithTransportCredentials(counted),
		// Longer than the test: a held write leaves only with the next one.
		func(o *options) { o.pingHold = time.Minute })
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	const sets = 50
	for i := range sets {
		f.set(t, "sim-0", &gpb.SetRequest{Update: []*gpb.Update{{
			Path: path(t, "/interfaces/interface[name=eth0]/config/description"),
			Val:  strVal(fmt.Sprintf("change %d", i)),
		}}})
	}
	withPing, pingsOnly := counted.counts()
	if withPing < sets/2 {
		t.Errorf("%d of the server's writes carried a PING over %d Sets; the client no longer pings, so this test proves nothing", withPing, sets)
	}
	if pingsOnly != 0 {
		t.Errorf("%d of the server's writes were pings alone, want none: each should leave with a response", pingsOnly)
	}
}
