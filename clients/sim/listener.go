package sim

import (
	"context"
	"fmt"
	"net"
	"sync"

	"google.golang.org/grpc/test/bufconn"
)

// elementAddr is the local address of every connection to an element. It
// carries the element: gRPC hands it to each request as the peer's local
// address, which is how one gRPC server serves many elements.
type elementAddr struct{ e *Element }

func (a elementAddr) Network() string { return "tcp" }
func (a elementAddr) String() string  { return a.e.addr }

// elementListener is an element's listener. It keeps the connections it
// accepted so that taking the element down cuts them, as pulling a cable
// would.
type elementListener struct {
	net.Listener
	e *Element

	mu     sync.Mutex
	conns  map[*elementConn]struct{}
	closed bool
}

func newElementListener(l net.Listener, e *Element) *elementListener {
	return &elementListener{Listener: l, e: e, conns: map[*elementConn]struct{}{}}
}

func (l *elementListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	ec := &elementConn{Conn: c, l: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns[ec] = struct{}{}
	return ec, nil
}

// Close closes the listener and every connection it accepted.
func (l *elementListener) Close() error {
	l.mu.Lock()
	conns := l.conns
	l.conns, l.closed = nil, true
	l.mu.Unlock()
	err := l.Listener.Close()
	for c := range conns {
		c.Conn.Close()
	}
	return err
}

func (l *elementListener) Addr() net.Addr { return elementAddr{l.e} }

type elementConn struct {
	net.Conn
	l *elementListener
}

func (c *elementConn) LocalAddr() net.Addr { return elementAddr{c.l.e} }

func (c *elementConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// memory is the in-memory network of a fleet made WithMemory: a listener
// per element address.
type memory struct {
	mu        sync.Mutex
	listeners map[string]*bufconn.Listener
}

// memoryBuffer is the size of each direction's buffer of an in-memory
// connection.
const memoryBuffer = 256 << 10

func (m *memory) listen(addr string) net.Listener {
	l := bufconn.Listen(memoryBuffer)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listeners == nil {
		m.listeners = map[string]*bufconn.Listener{}
	}
	m.listeners[addr] = l
	return l
}

func (m *memory) dial(ctx context.Context, addr string) (net.Conn, error) {
	m.mu.Lock()
	l := m.listeners[addr]
	m.mu.Unlock()
	if l == nil {
		return nil, fmt.Errorf("sim: no element listens on %s", addr)
	}
	return l.DialContext(ctx)
}

// Dial connects to an element of a fleet made WithMemory; pass it to
// grpc.WithContextDialer. It fails like a refused connection when the
// element is down.
func (f *Fleet) Dial(ctx context.Context, addr string) (net.Conn, error) {
	return f.mem.dial(ctx, addr)
}
