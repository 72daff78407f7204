package sim

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore"
)

// Fleet is a set of simulated elements served by one gRPC server, each on
// its own address. It is safe for concurrent use.
type Fleet struct {
	gpb.UnimplementedGNMIServer

	opts  options
	log   *slog.Logger
	model *datastore.Model
	grpc  *grpc.Server

	elements []*Element
	byName   map[string]*Element
	mem      memory // WithMemory's network

	// crashAfter counts down applied Sets to a process crash (see
	// CrashAfter); crash is what to call then.
	crashMu    sync.Mutex
	crashAfter int
	crash      func()

	stop   chan struct{}
	wg     sync.WaitGroup
	closed atomic.Bool
}

// Start serves count elements, named by the prefix (sim- unless
// WithPrefix says otherwise) and their index. listen is HOST:PORT: element
// i listens on PORT+i, or on a free port of HOST when PORT is 0. With
// WithMemory, nothing listens on the network and listen only names the
// elements' addresses.
func Start(listen string, count int, opts ...Option) (*Fleet, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if count < 0 {
		return nil, fmt.Errorf("sim: count %d is negative", count)
	}
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("sim: listen address %q: %v", listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > math.MaxUint16 {
		return nil, fmt.Errorf("sim: listen address %q: bad port", listen)
	}
	if port > 0 && port+count-1 > math.MaxUint16 {
		return nil, fmt.Errorf("sim: %d elements from port %d run past port 65535", count, port)
	}
	model, _, err := datastore.Models()
	if err != nil {
		return nil, err
	}
	f := &Fleet{
		opts:   o,
		log:    o.log,
		model:  model,
		byName: make(map[string]*Element, count),
		stop:   make(chan struct{}),
	}
	f.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(maxMessageSize),
		grpc.MaxSendMsgSize(maxMessageSize),
		grpc.MaxConcurrentStreams(math.MaxUint32),
	)
	gpb.RegisterGNMIServer(f.grpc, f)
	// Elements are built on every core: validating each one's initial
	// configuration is most of the start-up time of a large fleet.
	f.elements = make([]*Element, count)
	errs := make([]error, count)
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				name := o.prefix + strconv.Itoa(i)
				addr := net.JoinHostPort(host, "0")
				if port > 0 || o.memory {
					addr = net.JoinHostPort(host, strconv.Itoa(port+i))
				}
				e, err := newElement(f, name, addr)
				if err == nil {
					err = e.Up()
				}
				if err != nil {
					errs[i] = fmt.Errorf("sim: element %s: %w", name, err)
					continue
				}
				f.elements[i] = e
			}
		}()
	}
	for i := range count {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, e := range f.elements {
		if errs[i] != nil {
			f.elements = slices.DeleteFunc(f.elements, func(e *Element) bool { return e == nil })
			f.Close()
			return nil, errs[i]
		}
		f.byName[e.name] = e
	}
	if o.stateInterval > 0 {
		f.wg.Add(1)
		go f.behave()
	}
	return f, nil
}

// maxMessageSize matches what nwmod allows: whole device configurations
// exceed gRPC's 4 MiB default.
const maxMessageSize = 256 << 20

// Elements returns the elements in index order.
func (f *Fleet) Elements() []*Element { return f.elements }

// Element returns the element named name, or nil.
func (f *Fleet) Element(name string) *Element { return f.byName[name] }

// CrashAfter arranges for crash to be called once n more Sets (with
// operations, on any element) have been applied, before the last of them
// is answered: nwmo-sim exits there, to show a process dying mid-way
// through a network-wide commit. n <= 0 disarms it.
func (f *Fleet) CrashAfter(n int, crash func()) {
	f.crashMu.Lock()
	defer f.crashMu.Unlock()
	f.crashAfter, f.crash = n, crash
}

// applied counts one applied Set towards CrashAfter.
func (f *Fleet) applied() {
	f.crashMu.Lock()
	var crash func()
	if f.crashAfter > 0 {
		f.crashAfter--
		if f.crashAfter == 0 {
			crash = f.crash
		}
	}
	f.crashMu.Unlock()
	if crash != nil {
		crash()
	}
}

// Close stops every element and waits for the fleet's goroutines. It is
// safe to call more than once.
func (f *Fleet) Close() {
	if f.closed.Swap(true) {
		return
	}
	close(f.stop)
	for _, e := range f.elements {
		e.Down()
		e.stopTimers()
	}
	f.grpc.Stop()
	f.wg.Wait()
}

// serve runs the gRPC server on one element's listener until it closes.
func (f *Fleet) serve(lis net.Listener) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		// Serve returns when the element goes down and its listener is
		// closed; the other elements go on.
		_ = f.grpc.Serve(lis)
	}()
}

// element finds the element a request reached, by the listener its
// connection came in on, and checks the request's target.
func (f *Fleet) element(ctx context.Context, target string) (*Element, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Internal, "sim: no peer in the request context")
	}
	a, ok := p.LocalAddr.(elementAddr)
	if !ok {
		return nil, status.Errorf(codes.Internal, "sim: connection on unknown address %v", p.LocalAddr)
	}
	e := a.e
	if target != "" && target != e.name {
		return nil, status.Errorf(codes.NotFound, "target %q is not served here: this is element %s, which answers its own name or an empty target", target, e.name)
	}
	return e, nil
}

// behave changes the elements' state on their own, as devices do: every
// state interval, counters grow and, now and then, an interface's
// oper-status flaps.
func (f *Fleet) behave() {
	defer f.wg.Done()
	t := time.NewTicker(f.opts.stateInterval)
	defer t.Stop()
	for tick := 0; ; tick++ {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		for i, e := range f.elements {
			e.tick(tick, i)
		}
	}
}
