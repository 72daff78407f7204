package tree

import "errors"

// Errors are wrapped with the path, value and reason; test them with
// errors.Is.
var (
	// ErrUnknownPath: a path names a node the schema does not have.
	ErrUnknownPath = errors.New("unknown path")
	// ErrBadPath: a path is in the schema but malformed: missing or extra
	// keys, a path below a leaf.
	ErrBadPath = errors.New("bad path")
	// ErrBadValue: a value does not fit the schema node it is given for.
	ErrBadValue = errors.New("bad value")
)
