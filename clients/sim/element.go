package sim

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/datastore/validate"
	"github.com/nwmo/nwmo/gen/oc"
)

// Element is one simulated network element. Its methods are safe for
// concurrent use.
type Element struct {
	f    *Fleet
	name string

	mu      sync.Mutex
	addr    string // HOST:PORT; a free port is fixed by the first Up
	root    ygot.GoStruct
	index   *validate.Index
	pending *pendingCommit
	subs    map[*subscriber]struct{}
	lis     net.Listener // nil while down
	reject  int          // Sets still to refuse; -1: every Set
	delay   time.Duration
	crash   bool          // the next Set crashes the element
	restart time.Duration // how long a crashed element stays down
	reboot  *time.Timer
	applied int // Sets applied, for Status
}

func newElement(f *Fleet, name, addr string) (*Element, error) {
	e := &Element{
		f:     f,
		name:  name,
		addr:  addr,
		root:  f.model.Schema.New(),
		subs:  map[*subscriber]struct{}{},
		delay: f.opts.delay,
	}
	if f.opts.reject[name] {
		e.reject = -1
	}
	ix, err := f.model.Validator.NewIndex(e.root)
	if err != nil {
		return nil, err
	}
	e.index = ix
	if _, err := e.edit(initialConfig(name, f.opts.interfaces), true); err != nil {
		return nil, fmt.Errorf("initial configuration: %w", err)
	}
	return e, nil
}

// initialConfig is what an element has configured when it starts: its
// hostname and a few enabled Ethernet interfaces, so that nwmo has
// something to adopt.
func initialConfig(name string, interfaces int) []tree.Op {
	ops := []tree.Op{update(pathOf("system", "config", "hostname"), stringVal(name))}
	for i := 0; i < interfaces; i++ {
		ifc := "eth" + strconv.Itoa(i)
		cfg := func(leaf string) []*gpb.PathElem {
			return []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": ifc}}, {Name: "config"}, {Name: leaf}}
		}
		ops = append(ops,
			update(cfg("name"), stringVal(ifc)),
			update(cfg("type"), stringVal("iana-if-type:ethernetCsmacd")),
			update(cfg("enabled"), &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: true}}),
			update(cfg("mtu"), &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: 1500}}),
		)
	}
	return ops
}

// Name is the element's name, which is also its gNMI target.
func (e *Element) Name() string { return e.name }

// Addr is the element's HOST:PORT.
func (e *Element) Addr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addr
}

// Up makes the element reachable again on its address.
func (e *Element) Up() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lis != nil {
		return nil
	}
	if e.f.closed.Load() {
		return net.ErrClosed
	}
	var l net.Listener
	if e.f.opts.memory {
		l = e.f.mem.listen(e.addr)
	} else {
		var err error
		if l, err = net.Listen("tcp", e.addr); err != nil {
			return err
		}
		e.addr = l.Addr().String()
	}
	el := newElementListener(l, e)
	e.lis = el
	e.f.serve(el)
	return nil
}

// Down makes the element unreachable: it stops listening and cuts every
// connection, subscriptions included. Its configuration is kept.
func (e *Element) Down() {
	e.mu.Lock()
	l := e.lis
	e.lis = nil
	e.mu.Unlock()
	if l != nil {
		l.Close()
	}
}

// IsUp reports whether the element is reachable.
func (e *Element) IsUp() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lis != nil
}

// RejectNext makes the element refuse its next n Sets that change
// configuration; n < 0 refuses every one, 0 accepts them again.
func (e *Element) RejectNext(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reject = max(n, -1)
}

// SetDelay makes every Set wait d before it is applied.
func (e *Element) SetDelay(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.delay = d
}

// CrashNext makes the element crash in the middle of its next Set that
// changes configuration: the change is applied, then the element dies
// without answering, as a device that reboots. A pending confirmed commit
// does not survive the reboot. It is back after restart (0: it stays down
// until Up).
func (e *Element) CrashNext(restart time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.crash, e.restart = true, restart
}

// Configure changes the element's configuration locally, as an operator at
// its console would, bypassing faults and pending commits: nwmo sees it as
// drift. The operations are validated as a Set's are.
func (e *Element) Configure(ops ...tree.Op) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err := e.edit(ops, true)
	return err
}

// View calls fn with the element's tree (configuration and state) under
// its lock; fn must neither keep nor modify it.
func (e *Element) View(fn func(root *oc.Device) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fn(e.root.(*oc.Device))
}

// Status is what Fleet.Status reports of an element.
type Status struct {
	Name      string `json:"name"`
	Address   string `json:"address"`
	Up        bool   `json:"up"`
	Reject    int    `json:"reject,omitempty"`
	Delay     string `json:"delay,omitempty"`
	CrashNext bool   `json:"crashNext,omitempty"`
	Pending   string `json:"pendingCommit,omitempty"`
	Applied   int    `json:"setsApplied"`
}

// Status describes the element and the faults armed on it.
func (e *Element) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Status{Name: e.name, Address: e.addr, Up: e.lis != nil, Reject: e.reject, CrashNext: e.crash, Applied: e.applied}
	if e.delay > 0 {
		s.Delay = e.delay.String()
	}
	if e.pending != nil {
		s.Pending = e.pending.id
	}
	return s
}

// crashNow is the crash armed by CrashNext: it loses the pending commit,
// goes down and comes back after the restart delay. The caller holds e.mu.
func (e *Element) crashNow() {
	e.crash = false
	if e.pending != nil {
		e.rollbackLocked("the element restarted")
	}
	l := e.lis
	e.lis = nil
	if l != nil {
		// Closing cuts the connection of the Set being answered too, so
		// that its client never hears back; the listener's lock is not
		// e.mu, so this cannot deadlock.
		l.Close()
	}
	if e.restart > 0 {
		e.reboot = time.AfterFunc(e.restart, func() {
			if err := e.Up(); err != nil {
				e.f.log.Warn("sim: element did not come back after its crash", "element", e.name, "err", err)
			}
		})
	}
}

// stopTimers stops the element's pending commit and reboot timers when the
// fleet closes.
func (e *Element) stopTimers() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending != nil {
		e.pending.timer.Stop()
	}
	if e.reboot != nil {
		e.reboot.Stop()
	}
}
