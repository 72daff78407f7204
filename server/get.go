package server

import (
	"context"
	"fmt"
	"reflect"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/server/access"
)

// Get answers with one Notification per requested path, taken from running
// (or a candidate's view) at one instant: the nodes the path matches, in
// the requested encoding and data type. JSON and JSON_IETF give one update
// per matched node, its subtree as one JSON value; PROTO gives one update
// per leaf with a scalar value. A path that matches no data is NotFound
// (but "/" is always answered, empty or not).
func (s *Server) Get(ctx context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	resp, err := s.get(ctx, req)
	s.auditDenied(ctx, "gnmi.Get", req.GetPrefix().GetTarget(), err)
	return resp, toStatus(err)
}

func (s *Server) get(ctx context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	enc := req.GetEncoding()
	if err := checkEncoding(enc); err != nil {
		return nil, err
	}
	t, err := s.resolveTarget(ctx, req.GetPrefix())
	if err != nil {
		return nil, err
	}
	sel, err := newSelection(t.sc, req.GetType(), req.GetUseModels())
	if err != nil {
		return nil, err
	}
	reqPaths := req.GetPath()
	if len(reqPaths) == 0 {
		// No path: the prefix itself (the root when there is none).
		reqPaths = []*gpb.Path{{}}
	}
	paths := make([][]*gpb.PathElem, len(reqPaths))
	for i, p := range reqPaths {
		if err := checkOrigin(t, req.GetPrefix(), p); err != nil {
			return nil, err
		}
		elems, err := joinPath(req.GetPrefix(), p)
		if err != nil {
			return nil, err
		}
		if paths[i], err = checkSchema(t.sc, trimAnyLevel(elems)); err != nil {
			return nil, err
		}
	}
	if err := s.authorize(ctx, access.Read, t.element, paths...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	resp := &gpb.GetResponse{Notification: make([]*gpb.Notification, len(paths))}
	err = s.view(t, ownPartsFor(paths), func(root ygot.GoStruct, sc *tree.Schema) error {
		ts := time.Now().UnixNano()
		for i, elems := range paths {
			n := &gpb.Notification{Timestamp: ts, Prefix: t.prefix()}
			var err error
			if enc == gpb.Encoding_PROTO {
				n.Update, err = getLeaves(sc, root, elems, sel)
			} else {
				n.Update, err = getNodes(sc, root, elems, sel, enc == gpb.Encoding_JSON_IETF)
			}
			if err != nil {
				return err
			}
			if len(n.Update) == 0 && len(elems) > 0 {
				what := "data"
				if sel.kind != gpb.GetRequest_ALL {
					what = sel.kind.String() + " data"
				}
				return notFound(t, "no %s at %s", what, tree.FormatPath(elems))
			}
			resp.Notification[i] = n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// getNodes is one update per node path matches, with its JSON value.
func getNodes(sc *tree.Schema, root ygot.GoStruct, path []*gpb.PathElem, sel selection, ietf bool) ([]*gpb.Update, error) {
	var ups []*gpb.Update
	err := sc.Match(root, path, func(n tree.Node) error {
		b, ok, err := nodeJSON(sc, n, sel, ietf)
		if err != nil || !ok {
			return err
		}
		ups = append(ups, &gpb.Update{Path: &gpb.Path{Elem: n.Path}, Val: jsonValue(b, ietf)})
		return nil
	})
	return ups, err
}

// getLeaves is one update per leaf under the nodes path matches, with its
// scalar value.
func getLeaves(sc *tree.Schema, root ygot.GoStruct, path []*gpb.PathElem, sel selection) ([]*gpb.Update, error) {
	var ups []*gpb.Update
	err := sc.Match(root, path, func(n tree.Node) error {
		var err error
		sc.NodeLeaves(n, func(p []*gpb.PathElem, f *tree.Field, v reflect.Value) {
			if err != nil || !sel.keepPath(p) || !sel.keepLeaf(f) {
				return
			}
			tv, e := f.TypedValue(v)
			if e != nil {
				err = e
				return
			}
			ups = append(ups, &gpb.Update{Path: &gpb.Path{Elem: p}, Val: tv})
		})
		return err
	})
	return ups, err
}

// notFound is a datastore.ErrNotFound about target t.
func notFound(t target, format string, a ...any) error {
	return fmt.Errorf("%w: target %s: %s", datastore.ErrNotFound, t.name, fmt.Sprintf(format, a...))
}
