package sim

import (
	"context"
	"errors"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/oc"
)

// gnmiVersion is the version of the gNMI specification the generated gNMI
// package was built from, as its proto file declares it.
var gnmiVersion = proto.GetExtension(gpb.File_github_com_openconfig_gnmi_proto_gnmi_gnmi_proto.Options(), gpb.E_GnmiService).(string)

var encodings = []gpb.Encoding{gpb.Encoding_JSON_IETF, gpb.Encoding_JSON, gpb.Encoding_PROTO}

// Capabilities lists the OpenConfig models the elements speak.
func (f *Fleet) Capabilities(ctx context.Context, _ *gpb.CapabilityRequest) (*gpb.CapabilityResponse, error) {
	if _, err := f.element(ctx, ""); err != nil {
		return nil, err
	}
	return &gpb.CapabilityResponse{SupportedModels: oc.Models, SupportedEncodings: encodings, GNMIVersion: gnmiVersion}, nil
}

// Get answers one notification per requested path, from the element's
// configuration, state or both as the request's type says.
func (f *Fleet) Get(ctx context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	e, err := f.element(ctx, req.GetPrefix().GetTarget())
	if err != nil {
		return nil, err
	}
	enc := req.GetEncoding()
	if err := checkEncoding(enc); err != nil {
		return nil, err
	}
	keep := keepLeaf(req.GetType())
	prefix, err := elems(req.GetPrefix())
	if err != nil {
		return nil, err
	}
	paths := req.GetPath()
	if len(paths) == 0 {
		paths = []*gpb.Path{{}}
	}
	sc := f.model.Schema
	e.mu.Lock()
	defer e.mu.Unlock()
	resp := &gpb.GetResponse{}
	for _, p := range paths {
		rel, err := elems(p)
		if err != nil {
			return nil, err
		}
		full := join(prefix, rel)
		n := &gpb.Notification{Timestamp: time.Now().UnixNano(), Prefix: req.GetPrefix()}
		err = sc.Match(e.root, full, func(node tree.Node) error {
			ups, err := encodeNode(sc, node, keep, enc)
			for _, u := range ups {
				u.Path.Elem = u.Path.Elem[len(prefix):]
			}
			n.Update = append(n.Update, ups...)
			return err
		})
		if err != nil {
			return nil, pathStatus(full, err)
		}
		if len(n.Update) == 0 {
			return nil, status.Errorf(codes.NotFound, "%s holds no data on %s", tree.FormatPath(full), e.name)
		}
		resp.Notification = append(resp.Notification, n)
	}
	return resp, nil
}

// Set applies a SetRequest as one transaction, under the Commit extension
// when it has one, after the element's faults have had their say.
func (f *Fleet) Set(ctx context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	e, err := f.element(ctx, req.GetPrefix().GetTarget())
	if err != nil {
		return nil, err
	}
	return e.set(ctx, req)
}

func (e *Element) set(ctx context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	if len(req.GetUnionReplace()) > 0 {
		return nil, status.Error(codes.Unimplemented, "union_replace is not supported")
	}
	c, err := commitExtension(req.GetExtension())
	if err != nil {
		return nil, err
	}
	ops, results, err := setOps(req)
	if err != nil {
		return nil, err
	}

	e.mu.Lock()
	if len(ops) > 0 && e.reject != 0 {
		if e.reject > 0 {
			e.reject--
		}
		e.mu.Unlock()
		return nil, status.Errorf(codes.FailedPrecondition, "element %s refuses this Set (a fault injected in nwmo-sim)", e.name)
	}
	delay := e.delay
	e.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	// A device abandons a request its client gave up on.
	if err := ctx.Err(); err != nil {
		return nil, status.FromContextError(err).Err()
	}
	if e.lis == nil {
		return nil, status.Errorf(codes.Unavailable, "element %s is down", e.name)
	}
	if err := e.commit(c, ops); err != nil {
		return nil, err
	}
	if len(ops) > 0 {
		e.applied++
		if e.crash {
			e.crashNow()
			return nil, status.Errorf(codes.Unavailable, "element %s crashed", e.name)
		}
		e.f.applied()
	}
	return &gpb.SetResponse{Prefix: req.GetPrefix(), Response: results, Timestamp: time.Now().UnixNano()}, nil
}

// setOps turns a SetRequest into tree operations in gNMI order, with the
// UpdateResult of each.
func setOps(req *gpb.SetRequest) ([]tree.Op, []*gpb.UpdateResult, error) {
	prefix, err := elems(req.GetPrefix())
	if err != nil {
		return nil, nil, err
	}
	var ops []tree.Op
	var results []*gpb.UpdateResult
	add := func(kind tree.OpKind, op gpb.UpdateResult_Operation, p *gpb.Path, v *gpb.TypedValue) error {
		rel, err := elems(p)
		if err != nil {
			return err
		}
		ops = append(ops, tree.Op{Kind: kind, Path: join(prefix, rel), Value: v})
		results = append(results, &gpb.UpdateResult{Path: p, Op: op})
		return nil
	}
	for _, p := range req.GetDelete() {
		if err := add(tree.Delete, gpb.UpdateResult_DELETE, p, nil); err != nil {
			return nil, nil, err
		}
	}
	for _, u := range req.GetReplace() {
		if err := add(tree.Replace, gpb.UpdateResult_REPLACE, u.GetPath(), u.GetVal()); err != nil {
			return nil, nil, err
		}
	}
	for _, u := range req.GetUpdate() {
		if err := add(tree.Update, gpb.UpdateResult_UPDATE, u.GetPath(), u.GetVal()); err != nil {
			return nil, nil, err
		}
	}
	return ops, results, nil
}

// elems returns a path's elements, refusing origins other than
// OpenConfig's and the deprecated string elements.
func elems(p *gpb.Path) ([]*gpb.PathElem, error) {
	if o := p.GetOrigin(); o != "" && o != "openconfig" {
		return nil, status.Errorf(codes.Unimplemented, "origin %q is not served; only openconfig", o)
	}
	if len(p.GetElement()) > 0 {
		return nil, status.Error(codes.InvalidArgument, "path uses the deprecated element field; use elem")
	}
	return p.GetElem(), nil
}

func join(prefix, p []*gpb.PathElem) []*gpb.PathElem {
	if len(prefix) == 0 {
		return p
	}
	return append(append(make([]*gpb.PathElem, 0, len(prefix)+len(p)), prefix...), p...)
}

func pathStatus(p []*gpb.PathElem, err error) error {
	code := codes.InvalidArgument
	if errors.Is(err, tree.ErrUnknownPath) {
		code = codes.NotFound
	}
	return status.Errorf(code, "%s: %v", tree.FormatPath(p), err)
}

func checkEncoding(enc gpb.Encoding) error {
	for _, e := range encodings {
		if e == enc {
			return nil
		}
	}
	return status.Errorf(codes.Unimplemented, "encoding %v is not supported; use JSON_IETF, JSON or PROTO", enc)
}

// keepLeaf selects the leaves a Get of the given type returns.
func keepLeaf(t gpb.GetRequest_DataType) func(*tree.Field) bool {
	switch t {
	case gpb.GetRequest_CONFIG:
		return func(f *tree.Field) bool { return f.Config }
	case gpb.GetRequest_STATE, gpb.GetRequest_OPERATIONAL:
		return func(f *tree.Field) bool { return !f.Config }
	}
	return nil
}
