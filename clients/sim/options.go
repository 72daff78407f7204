package sim

import (
	"log/slog"
	"time"
)

type options struct {
	prefix        string
	interfaces    int
	reject        map[string]bool
	delay         time.Duration
	stateInterval time.Duration
	memory        bool
	noConfirm     bool
	log           *slog.Logger
}

func defaultOptions() options {
	return options{
		prefix:        "sim-",
		interfaces:    4,
		reject:        map[string]bool{},
		stateInterval: 10 * time.Second,
		log:           slog.New(slog.DiscardHandler),
	}
}

// Option configures a Fleet.
type Option func(*options)

// WithPrefix names the elements P0, P1, ... instead of sim-0, sim-1, ...
func WithPrefix(p string) Option { return func(o *options) { o.prefix = p } }

// WithInterfaces sets how many interfaces (eth0, eth1, ...) each element
// has configured when it starts; the default is 4.
func WithInterfaces(n int) Option { return func(o *options) { o.interfaces = max(n, 0) } }

// WithReject makes the named elements refuse every Set that changes
// configuration.
func WithReject(names ...string) Option {
	return func(o *options) {
		for _, n := range names {
			o.reject[n] = true
		}
	}
}

// WithDelay makes every Set wait d before it is applied, as a slow device
// does.
func WithDelay(d time.Duration) Option { return func(o *options) { o.delay = d } }

// WithStateInterval sets how often state changes on its own (counters,
// oper-status); 0 keeps state still. The default is 10s.
func WithStateInterval(d time.Duration) Option { return func(o *options) { o.stateInterval = d } }

// WithMemory serves the elements over in-memory connections instead of
// TCP, for benchmarks with more elements than the process may open file
// descriptors; connect with Fleet.Dial.
func WithMemory() Option { return func(o *options) { o.memory = true } }

// WithCommitConfirmed(false) makes the elements ignore the gNMI Commit
// extension, as devices without confirmed commits do: a Set carrying it is
// applied for good, and confirm or cancel do nothing.
func WithCommitConfirmed(on bool) Option { return func(o *options) { o.noConfirm = !on } }

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }
