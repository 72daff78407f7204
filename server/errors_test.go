package server

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

func TestToStatus(t *testing.T) {
	elementDown := status.Error(codes.Unavailable, "sim-3: connection refused")
	for _, tc := range []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("%w: target sim-0: update /x: bad", datastore.ErrInvalid), codes.InvalidArgument},
		{fmt.Errorf("%w: /bogus", datastore.ErrUnknownPath), codes.NotFound},
		{fmt.Errorf("%w: target sim-9", datastore.ErrNotFound), codes.NotFound},
		{fmt.Errorf("%w: overlap", datastore.ErrConflict), codes.Aborted},
		{fmt.Errorf("%w: pending", datastore.ErrPrecondition), codes.FailedPrecondition},
		{fmt.Errorf("%w: commit 7: %w", datastore.ErrPush, elementDown), codes.Unavailable},
		{fmt.Errorf("%w: commit 7: %w", datastore.ErrPush, status.Error(codes.InvalidArgument, "sim-3 refused /x")), codes.InvalidArgument},
		{fmt.Errorf("%w: commit 7: sim-3 said no", datastore.ErrPush), codes.Unavailable},
		{datastore.ErrClosed, codes.Unavailable},
		{fmt.Errorf("%w: /a has no child", tree.ErrUnknownPath), codes.NotFound},
		{fmt.Errorf("%w: keys", tree.ErrBadPath), codes.InvalidArgument},
		{fmt.Errorf("%w: key", tree.ErrBadValue), codes.InvalidArgument},
		{badRequest("x"), codes.InvalidArgument},
		{unsupported("ASCII"), codes.Unimplemented},
		{fmt.Errorf("%w: too many", errLimit), codes.ResourceExhausted},
		{errClosing, codes.Unavailable},
		{context.Canceled, codes.Canceled},
		{fmt.Errorf("push: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{status.Error(codes.PermissionDenied, "no"), codes.PermissionDenied},
		{errors.New("disk on fire"), codes.Internal},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			st := status.Convert(toStatus(tc.err))
			if st.Code() != tc.want {
				t.Errorf("code %v, want %v", st.Code(), tc.want)
			}
			if tc.want != codes.PermissionDenied && st.Message() != tc.err.Error() {
				t.Errorf("message %q, want the error's own %q", st.Message(), tc.err.Error())
			}
		})
	}
	if toStatus(nil) != nil {
		t.Error("toStatus(nil) is not nil")
	}
}
