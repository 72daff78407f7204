package clients

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Sentinel errors; test them with errors.Is. Errors about one element are
// *ElementError, which wrap one of the first three and the element's own
// error.
var (
	// ErrUnreachable: the element could not be reached (refused, down,
	// disconnected).
	ErrUnreachable = errors.New("unreachable")
	// ErrRejected: the element answered, and refused.
	ErrRejected = errors.New("rejected")
	// ErrTimeout: the element did not answer in time; it may or may not
	// have done what was asked.
	ErrTimeout = errors.New("timed out")
	// ErrUnsupported: the element cannot do what was asked (an adapter's
	// answer, e.g. to Subscribe).
	ErrUnsupported = errors.New("not supported by the element")
	// ErrNotManaged: the element is not one the southbound connects to
	// (not in the inventory, or its adapter is none).
	ErrNotManaged = errors.New("not managed")
	// ErrClosed: the Manager is closed.
	ErrClosed = errors.New("southbound closed")
)

// ElementError is the failure of one element: which, while doing what,
// the kind of failure (ErrUnreachable, ErrRejected or ErrTimeout) and the
// element's own error, whose gRPC status it keeps. GRPCStatus makes it a
// status a gRPC server can return as it is: Unavailable for an
// unreachable element, DeadlineExceeded for one that timed out, and the
// element's own code for a rejection.
type ElementError struct {
	Element string
	Op      string // e.g. "apply the change", "connect"
	Kind    error
	Err     error
}

func (e *ElementError) Error() string {
	return fmt.Sprintf("element %s: %s: %v: %s", e.Element, e.Op, e.Kind, status.Convert(e.Err).Message())
}

// Unwrap returns the kind and the element's error, for errors.Is and
// errors.As.
func (e *ElementError) Unwrap() []error { return []error{e.Kind, e.Err} }

// GRPCStatus is the status the error stands for; the message names the
// element.
func (e *ElementError) GRPCStatus() *status.Status {
	c := status.Code(e.Err)
	switch {
	case errors.Is(e.Kind, ErrUnreachable):
		c = codes.Unavailable
	case errors.Is(e.Kind, ErrTimeout):
		c = codes.DeadlineExceeded
	case c == codes.OK || c == codes.Unknown:
		c = codes.Aborted
	}
	return status.New(c, e.Error())
}

// elementError classifies an adapter's error by its gRPC status.
func elementError(element, op string, err error) *ElementError {
	kind := ErrRejected
	switch status.Code(err) {
	case codes.Unavailable, codes.Canceled:
		kind = ErrUnreachable
	case codes.DeadlineExceeded:
		kind = ErrTimeout
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		kind = ErrTimeout
	case errors.Is(err, ErrUnreachable):
		kind = ErrUnreachable
	}
	return &ElementError{Element: element, Op: op, Kind: kind, Err: err}
}
