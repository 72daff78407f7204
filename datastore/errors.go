package datastore

import "errors"

// Sentinel errors; every error the Store returns wraps one of these (or a
// context error, or an error of the Pusher) with the target, path, value
// and reason. The server maps them to gRPC codes.
var (
	// ErrNotFound: an unknown target, candidate or commit, or a path that
	// holds no data where data is required.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a path or value the schema rejects, or a configuration
	// that does not validate.
	ErrInvalid = errors.New("invalid")
	// ErrUnknownPath: a path that is not in the schema.
	ErrUnknownPath = errors.New("unknown path")
	// ErrConflict: a concurrent change overlaps this one (a candidate
	// whose base moved under it); retry on the new state.
	ErrConflict = errors.New("conflict")
	// ErrPrecondition: the operation is not allowed in the current state,
	// e.g. a new commit while a confirmed commit is pending.
	ErrPrecondition = errors.New("failed precondition")
	// ErrPush: an element refused or could not apply a commit; nothing was
	// changed anywhere.
	ErrPush = errors.New("push failed")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("datastore closed")
)

// OpError is the error of one operation of a Request; Index is its
// position in Request.Ops.
type OpError struct {
	Index int
	Err   error
}

func (e *OpError) Error() string { return e.Err.Error() }
func (e *OpError) Unwrap() error { return e.Err }
