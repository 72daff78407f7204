package server

import (
	"context"
	"errors"
	"fmt"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

// Errors of the server's own making, beside the datastore's; each RPC turns
// them into a gRPC status once, with toStatus.
var (
	// errBadRequest: the request breaks the gNMI rules (a malformed path,
	// a bad combination of fields): InvalidArgument.
	errBadRequest = errors.New("invalid request")
	// errUnsupported: an encoding, extension or feature nwmo does not
	// implement: Unimplemented.
	errUnsupported = errors.New("not supported")
	// errLimit: a limit of the server's options is reached:
	// ResourceExhausted.
	errLimit = errors.New("limit reached")
	// errClosing: the server is shutting down: Unavailable.
	errClosing = errors.New("server is shutting down")
	// errDenied: the access policy does not allow the request:
	// PermissionDenied.
	errDenied = errors.New("permission denied")
	// errHidden: the request names an element the user's rules name
	// nowhere; answered NotFound, audited as a refusal (target.go).
	errHidden = errors.New("target hidden by the access policy")
)

// badRequest returns an error wrapping errBadRequest.
func badRequest(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, a...))
}

// unsupported returns an error wrapping errUnsupported.
func unsupported(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUnsupported, fmt.Sprintf(format, a...))
}

// code is the gRPC code of an error of the datastore, the tree package or
// the server. Context errors keep their own codes. A push failure takes the
// code the element (or the southbound) gave, when it gave one.
func code(err error) codes.Code {
	switch {
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, datastore.ErrPush):
		if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown && st.Code() != codes.OK {
			return st.Code()
		}
		return codes.Unavailable
	case errors.Is(err, errUnsupported):
		return codes.Unimplemented
	case errors.Is(err, errBadRequest), errors.Is(err, datastore.ErrInvalid),
		errors.Is(err, tree.ErrBadPath), errors.Is(err, tree.ErrBadValue):
		return codes.InvalidArgument
	case errors.Is(err, datastore.ErrUnknownPath), errors.Is(err, tree.ErrUnknownPath),
		errors.Is(err, datastore.ErrNotFound):
		return codes.NotFound
	case errors.Is(err, datastore.ErrConflict):
		return codes.Aborted
	case errors.Is(err, datastore.ErrPrecondition):
		return codes.FailedPrecondition
	case errors.Is(err, datastore.ErrClosed), errors.Is(err, errClosing):
		return codes.Unavailable
	case errors.Is(err, errLimit):
		return codes.ResourceExhausted
	case errors.Is(err, errDenied):
		return codes.PermissionDenied
	}
	if st, ok := status.FromError(err); ok {
		return st.Code()
	}
	return codes.Internal
}

// toStatus turns an error into the gRPC status an RPC returns. It is called
// once per RPC, at its boundary; nil stays nil, and a status already (gRPC's
// own, from a stream) stays as it is.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(interface{ GRPCStatus() *status.Status }); ok {
		return err
	}
	return status.Error(code(err), err.Error())
}

// setStatus is toStatus for a failed Set: the status has the code of the
// failure and, as its detail, the SetResponse the gNMI specification
// (§3.4.7) describes: the operation that failed carries that code and
// message, every other one Aborted. failed is the index of the failing
// operation in resp.Response, or -1 when the failure is the transaction's
// as a whole (validation across paths, a push), which aborts them all.
func setStatus(err error, resp *gpb.SetResponse, failed int) error {
	c := code(err)
	st := status.New(c, err.Error())
	if resp == nil || len(resp.GetResponse()) == 0 || c == codes.Canceled || c == codes.DeadlineExceeded {
		return st.Err()
	}
	for i, r := range resp.GetResponse() {
		if i == failed {
			r.Message = &gpb.Error{Code: uint32(c), Message: err.Error()}
			continue
		}
		msg := "aborted: the transaction failed"
		if failed >= 0 {
			msg = fmt.Sprintf("aborted: operation %d (%s %s) failed", failed, resp.Response[failed].GetOp(), formatPath(resp.Response[failed].GetPath()))
		}
		r.Message = &gpb.Error{Code: uint32(codes.Aborted), Message: msg}
	}
	withDetail, derr := st.WithDetails(resp)
	if derr != nil {
		return st.Err()
	}
	return withDetail.Err()
}

// failedOp finds which operation a datastore error is about, or -1 when
// it is about the transaction as a whole (validation across paths, a
// push).
func failedOp(err error) int {
	var oe *datastore.OpError
	if errors.As(err, &oe) {
		return oe.Index
	}
	return -1
}
