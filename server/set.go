package server

import (
	"context"
	"fmt"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/server/access"
	"github.com/nwmo/nwmo/server/audit"
)

// setOp is one operation of a SetRequest, with the result reported for it.
type setOp struct {
	op     tree.Op
	result *gpb.UpdateResult
}

// Set applies a SetRequest as one transaction of the datastore: deletes,
// then union_replaces (as replaces: every model nwmo serves has one
// origin), then replaces, then updates, each in request order; validated,
// durable and pushed to the element before the answer. The answer has one
// UpdateResult per operation, in that order. A Set carrying the Commit
// extension is a confirmed commit, or a confirm, cancel or new rollback
// duration for the pending one (see commitAction).
func (s *Server) Set(ctx context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	ops := setResults(req)
	if s.opts.audit == nil {
		return s.set(ctx, req, ops, nil)
	}
	rec := setRecord(ctx, req, ops)
	resp, err := s.set(ctx, req, ops, rec)
	s.auditRecord(ctx, rec, err)
	return resp, err
}

// set returns gRPC status errors itself: a failed operation is reported
// in the status's details (setStatus). It notes in rec, when not nil, the
// commit it made or acted on.
func (s *Server) set(ctx context.Context, req *gpb.SetRequest, ops []setOp, rec *audit.Record) (*gpb.SetResponse, error) {
	user := userOf(ctx)
	commit, err := commitExtension(req.GetExtension())
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &gpb.SetResponse{Prefix: req.GetPrefix()}
	for _, op := range ops {
		resp.Response = append(resp.Response, op.result)
	}
	if commit != nil && rec != nil {
		rec.Subject = commit.GetId()
	}
	if commit != nil && commit.GetCommit() == nil {
		if len(ops) > 0 {
			return nil, setStatus(badRequest("Commit extension %q: a %s carries no operations; send them in a separate SetRequest",
				commit.GetId(), actionName(commit)), resp, -1)
		}
		return s.commitAction(ctx, req, commit, user, rec)
	}
	if commit != nil && len(ops) == 0 && s.isCandidate(commit.GetId()) {
		return s.commitAction(ctx, req, commit, user, rec)
	}

	t, err := s.resolveTarget(ctx, req.GetPrefix())
	if err != nil {
		return nil, setStatus(err, resp, -1)
	}
	if i, err := s.parseOps(t, req.GetPrefix(), ops); err != nil {
		return nil, setStatus(err, resp, i)
	}
	for i, op := range ops {
		if err := s.authorize(ctx, access.Write, t.element, op.op.Path); err != nil {
			return nil, setStatus(err, resp, i)
		}
	}
	r := datastore.Request{Target: t.name, User: user, Ops: make([]tree.Op, len(ops))}
	for i, op := range ops {
		r.Ops[i] = op.op
	}
	if commit != nil {
		if r.Confirm, err = confirmOptions(commit); err != nil {
			return nil, setStatus(err, resp, -1)
		}
	}
	res, err := s.store.Set(ctx, r)
	if err != nil {
		return nil, setStatus(err, resp, failedOp(err))
	}
	if rec != nil {
		rec.Commit = res.ID
	}
	resp.Timestamp = res.Time
	return resp, nil
}

// setRecord is the audit record of a SetRequest: its target and each
// operation's kind and path, in the order they are applied (ops, from
// setResults).
func setRecord(ctx context.Context, req *gpb.SetRequest, ops []setOp) *audit.Record {
	rec := &audit.Record{User: userOf(ctx), RPC: "gnmi.Set", Target: req.GetPrefix().GetTarget(), Ops: make([]audit.Op, len(ops))}
	prefix := req.GetPrefix().GetElem()
	for i, op := range ops {
		p := op.result.GetPath().GetElem()
		elems := append(append(make([]*gpb.PathElem, 0, len(prefix)+len(p)), prefix...), p...)
		rec.Ops[i] = audit.Op{Op: auditOpNames[op.result.GetOp()], Path: tree.FormatPath(elems)}
	}
	return rec
}

// auditOpNames spell the operations in audit records as gNMI's
// SetRequest fields do.
var auditOpNames = map[gpb.UpdateResult_Operation]string{
	gpb.UpdateResult_DELETE:        "delete",
	gpb.UpdateResult_UNION_REPLACE: "union_replace",
	gpb.UpdateResult_REPLACE:       "replace",
	gpb.UpdateResult_UPDATE:        "update",
}

// setResults lists a SetRequest's operations in the order they are
// applied, with their results; parseOps fills in the operations.
func setResults(req *gpb.SetRequest) []setOp {
	ops := make([]setOp, 0, len(req.GetDelete())+len(req.GetUnionReplace())+len(req.GetReplace())+len(req.GetUpdate()))
	for _, p := range req.GetDelete() {
		ops = append(ops, setOp{op: tree.Op{Kind: tree.Delete},
			result: &gpb.UpdateResult{Path: p, Op: gpb.UpdateResult_DELETE}})
	}
	for _, group := range []struct {
		kind tree.OpKind
		op   gpb.UpdateResult_Operation
		ups  []*gpb.Update
	}{
		{tree.Replace, gpb.UpdateResult_UNION_REPLACE, req.GetUnionReplace()},
		{tree.Replace, gpb.UpdateResult_REPLACE, req.GetReplace()},
		{tree.Update, gpb.UpdateResult_UPDATE, req.GetUpdate()},
	} {
		for _, u := range group.ups {
			ops = append(ops, setOp{op: tree.Op{Kind: group.kind, Value: u.GetVal()},
				result: &gpb.UpdateResult{Path: u.GetPath(), Op: group.op}})
		}
	}
	return ops
}

// parseOps checks every operation and joins its path to the prefix. On
// error it returns the index of the operation at fault.
func (s *Server) parseOps(t target, prefix *gpb.Path, ops []setOp) (int, error) {
	for i := range ops {
		op := &ops[i]
		p := op.result.GetPath()
		if err := checkOrigin(t, prefix, p); err != nil {
			return i, err
		}
		elems, err := joinPath(prefix, p)
		if err != nil {
			return i, err
		}
		// Checked here rather than only by the datastore, to know which
		// operation failed and to spell left-out keys as wildcards.
		if elems, err = checkSchema(t.sc, elems); err != nil {
			return i, fmt.Errorf("%s %s: %w", op.op.Kind, formatPath(p), err)
		}
		op.op.Path = elems
		if op.op.Kind == tree.Delete {
			continue
		}
		if hasWildcard(elems) {
			return i, badRequest("%s %s: wildcards, and list entries without all their keys, are allowed in delete paths only", op.op.Kind, tree.FormatPath(elems))
		}
		if err := checkValue(op.op.Value); err != nil {
			return i, fmt.Errorf("%s %s: %w", op.op.Kind, tree.FormatPath(elems), err)
		}
	}
	return -1, nil
}

// checkValue accepts the value encodings nwmo decodes: JSON and JSON_IETF
// for any node, scalars for leaves. Others are Unimplemented (gNMI
// §3.4.7).
func checkValue(v *gpb.TypedValue) error {
	switch v.GetValue().(type) {
	case nil:
		return badRequest("no value (the val field is empty)")
	case *gpb.TypedValue_AsciiVal:
		return unsupported("ASCII values are not supported; use JSON_IETF, JSON or a scalar")
	case *gpb.TypedValue_ProtoBytes:
		return unsupported("PROTO_BYTES values are not supported; use JSON_IETF, JSON or a scalar")
	case *gpb.TypedValue_AnyVal:
		return unsupported("any_val values are not supported; use JSON_IETF, JSON or a scalar")
	}
	return nil
}

// isCandidate reports whether a candidate of that name is open.
func (s *Server) isCandidate(name string) bool {
	for _, c := range s.store.Candidates() {
		if c.Name == name {
			return true
		}
	}
	return false
}
