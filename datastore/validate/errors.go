package validate

import (
	"errors"
	"sort"
	"strconv"
	"strings"
)

// ErrInvalid is wrapped by every error that reports a tree as invalid; the
// server maps it to gRPC InvalidArgument.
var ErrInvalid = errors.New("invalid configuration")

// Violation is one reason a tree is invalid: the data path (with keys) of
// the offending node and what is wrong with it.
type Violation struct {
	Path   string
	Reason string
}

func (v Violation) String() string { return v.Path + ": " + v.Reason }

// Error lists the violations found, sorted by path. It wraps ErrInvalid.
type Error struct {
	Violations []Violation
}

// maxListed bounds the violations spelled out in an error message: a
// deleted interface can leave hundreds of dangling references, and the
// first few say what happened.
const maxListed = 10

func (e *Error) Error() string {
	var b strings.Builder
	for i, v := range e.Violations {
		if i == maxListed {
			b.WriteString("; and " + strconv.Itoa(len(e.Violations)-maxListed) + " more")
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return ErrInvalid }

// violations collects what a check finds.
type violations []Violation

func (vs *violations) add(path, reason string) {
	*vs = append(*vs, Violation{Path: path, Reason: reason})
}

// err returns nil or an *Error with the violations sorted and without
// duplicates, so that the message does not depend on map iteration order.
func (vs violations) err() error {
	if len(vs) == 0 {
		return nil
	}
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].Path != vs[j].Path {
			return vs[i].Path < vs[j].Path
		}
		return vs[i].Reason < vs[j].Reason
	})
	out := vs[:1]
	for _, v := range vs[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return &Error{Violations: out}
}
