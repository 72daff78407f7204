package clients

import (
	"log/slog"
	"time"
)

type options struct {
	log           *slog.Logger
	dialers       map[string]Dialer
	driftInterval time.Duration
	driftSettle   time.Duration
	confirmWindow time.Duration
	backoffMin    time.Duration
	backoffMax    time.Duration
	parallel      int
	telemetry     bool
	inventoryWait time.Duration
}

func defaultOptions() options {
	return options{
		log:           slog.New(slog.DiscardHandler),
		dialers:       map[string]Dialer{},
		driftInterval: 30 * time.Second,
		driftSettle:   200 * time.Millisecond,
		confirmWindow: time.Minute,
		backoffMin:    100 * time.Millisecond,
		backoffMax:    30 * time.Second,
		parallel:      4096,
		telemetry:     true,
		inventoryWait: 10 * time.Second,
	}
}

// Option configures a Manager.
type Option func(*options)

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithAdapter makes elements whose adapter is name (the inventory's
// config/adapter) connect with dial. cmd/nwmod registers "gnmi".
func WithAdapter(name string, dial Dialer) Option {
	return func(o *options) { o.dialers[name] = dial }
}

// WithDriftInterval sets how often an element that cannot stream its
// changes is read and compared with running; the default is 30s. Elements
// that stream their changes are compared when a change arrives that
// running does not have.
func WithDriftInterval(d time.Duration) Option { return func(o *options) { o.driftInterval = d } }

// WithConfirmWindow sets the rollback duration of the confirmed commits a
// network-wide commit opens on elements that have them: if nwmod dies
// between applying a change and confirming it, the elements undo it by
// themselves after this long. The default is one minute.
func WithConfirmWindow(d time.Duration) Option { return func(o *options) { o.confirmWindow = d } }

// WithBackoff sets the first and the longest wait between two attempts to
// connect to an element; the wait doubles from min to max.
func WithBackoff(min, max time.Duration) Option {
	return func(o *options) { o.backoffMin, o.backoffMax = min, max }
}

// WithParallelism bounds how many elements a network-wide commit talks to
// at once; the default is 4096. Each element in flight holds a
// goroutine; a bound far below the fleet size multiplies the round trips
// a commit waits for.
func WithParallelism(n int) Option { return func(o *options) { o.parallel = max(n, 1) } }

// WithTelemetry turns the collection of the elements' state on (the
// default) or off; drift is still detected without it, by periodic
// comparison.
func WithTelemetry(on bool) Option { return func(o *options) { o.telemetry = on } }
