package clients

import (
	"context"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// Adapter is one connection to one element, in the element's own protocol.
// The Manager serialises the calls that read or change the element's
// configuration (Config, Apply, Confirm, Cancel); Subscribe runs alongside
// them. Errors should keep the element's own gRPC status (wrap it), so
// that the cause reaches the operator.
type Adapter interface {
	// CommitConfirmed reports whether the element honours confirmed
	// commits of its own: Apply with a Confirm, then Confirm or Cancel.
	CommitConfirmed() bool
	// Config reads the element's configuration: all of it, or what is
	// under paths. A path holding nothing is not an error. The answer may
	// carry state leaves and paths outside nwmo's models: the Manager
	// ignores them.
	Config(ctx context.Context, paths ...[]*gpb.PathElem) ([]*gpb.Notification, error)
	// Apply applies a change, all of it or none. With c, it is a confirmed
	// commit of the element's own: Confirm makes it permanent, Cancel
	// undoes it, and the element undoes it by itself once c.Rollback has
	// passed without either.
	Apply(ctx context.Context, req *gpb.SetRequest, c *Confirm) error
	// Confirm makes the pending confirmed commit id permanent.
	Confirm(ctx context.Context, id string) error
	// Cancel undoes the pending confirmed commit id.
	Cancel(ctx context.Context, id string) error
	// Subscribe streams every change of the element, configuration and
	// state, to fn (the current values first) until ctx ends or the
	// stream breaks, and returns why it ended. It returns an error
	// wrapping ErrUnsupported when the element cannot stream its changes.
	Subscribe(ctx context.Context, fn func(*gpb.Notification)) error
	// Close ends the connection.
	Close() error
}

// Dialer connects to an element: it returns once the element answered,
// so that an unreachable element fails here.
type Dialer func(ctx context.Context, t Target) (Adapter, error)

// Target is what an adapter needs to reach an element: its entry in the
// inventory (/targets/target[name]/config on target nwmo).
type Target struct {
	Name     string
	Address  string // HOST:PORT
	Username string // sent with every request when not empty
	Password string
	TLS      bool
	// InsecureSkipVerify, with TLS, accepts any certificate (labs only).
	InsecureSkipVerify bool
	// Timeout bounds one request to the element.
	Timeout time.Duration
}

// Confirm asks for a change to be applied as a confirmed commit of the
// element's own.
type Confirm struct {
	// ID names the commit for Confirm and Cancel.
	ID string
	// Rollback is how long the element waits for Confirm before undoing
	// the change by itself: the bound on how long an element can hold a
	// change nwmo did not decide, should nwmod die in between.
	Rollback time.Duration
}
