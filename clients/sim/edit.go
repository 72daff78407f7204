package sim

import (
	"errors"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore/tree"
)

// edit applies operations to the element's tree as one transaction: all of
// them, validated, or none. With config, only configuration may change, as
// for a Set; the state that mirrors changed configuration follows. The
// changes are sent to subscribers. It returns the configuration leaves
// changed, for a confirmed commit to undo. The caller holds e.mu.
func (e *Element) edit(ops []tree.Op, config bool) ([]tree.LeafChange, error) {
	sc := e.f.model.Schema
	ed := sc.NewEdit(e.root)
	for _, op := range ops {
		if f := sc.FieldAt(op.Path); config && f != nil && !f.Config {
			return nil, status.Errorf(codes.InvalidArgument, "%s is state (config false) and cannot be set or deleted", tree.FormatPath(op.Path))
		}
		if err := ed.Apply(op); err != nil {
			ed.Undo()
			return nil, opStatus(op, err)
		}
	}
	changes := ed.Changes()
	if config {
		for _, c := range changes {
			// State under deleted configuration goes with it, as on a
			// device; state cannot be set.
			if !c.Field.Config && c.New.IsValid() {
				ed.Undo()
				return nil, status.Errorf(codes.InvalidArgument, "%s is state (config false) and cannot be set", tree.FormatPath(c.Path))
			}
		}
		if err := e.index.Check(e.root, changes); err != nil {
			ed.Undo()
			return nil, status.Errorf(codes.InvalidArgument, "invalid configuration: %v", err)
		}
	}
	for _, op := range mirror(sc, changes) {
		// The mirror follows values the schema just accepted; a state leaf
		// refusing one is a schema oddity, not the client's error.
		if err := ed.Apply(op); err != nil {
			e.f.log.Debug("sim: mirroring configuration into state", "element", e.name, "path", tree.FormatPath(op.Path), "err", err)
		}
	}
	all := ed.Changes()
	e.index.Apply(all)
	e.publish(all)
	return changes, nil
}

// opStatus turns an error of the tree package into the gNMI status a
// device answers.
func opStatus(op tree.Op, err error) error {
	code := codes.InvalidArgument
	if errors.Is(err, tree.ErrUnknownPath) {
		code = codes.NotFound
	}
	return status.Errorf(code, "%s %s: %v", op.Kind, tree.FormatPath(op.Path), err)
}

// mirror returns the state updates that reflect configuration changes, as
// a device reports what it applied: for every changed config/X leaf, the
// sibling state/X when the schema has one; and, for interfaces, their
// admin and oper status.
func mirror(sc *tree.Schema, changes []tree.LeafChange) []tree.Op {
	var ops []tree.Op
	for _, c := range changes {
		p := c.Path
		if !c.Field.Config || len(p) < 2 {
			continue
		}
		if isInterfaceKey(p) && !c.Old.IsValid() && c.New.IsValid() {
			ops = append(ops, interfaceUp(p[:2], true)...)
			for _, counter := range []string{"in-pkts", "out-pkts", "in-octets", "out-octets"} {
				ops = append(ops, update(appendPath(p[:2], "state", "counters", counter), uintVal(0)))
			}
		}
		if p[len(p)-2].GetName() != "config" {
			continue
		}
		sp := make([]*gpb.PathElem, len(p))
		copy(sp, p)
		sp[len(sp)-2] = &gpb.PathElem{Name: "state"}
		if sf := sc.FieldAt(sp); sf == nil || sf.Config {
			continue
		}
		if !c.New.IsValid() {
			ops = append(ops, tree.Op{Kind: tree.Delete, Path: sp})
			continue
		}
		tv, err := c.Field.TypedValue(c.New)
		if err != nil || tv == nil {
			continue
		}
		ops = append(ops, update(sp, tv))
		if len(p) == 4 && p[0].GetName() == "interfaces" && p[3].GetName() == "enabled" {
			ops = append(ops, interfaceUp(p[:2], tv.GetBoolVal())...)
		}
	}
	return ops
}

// isInterfaceKey reports whether p is the key leaf of an interface entry,
// /interfaces/interface[name=X]/name, which exists exactly when the entry
// does.
func isInterfaceKey(p []*gpb.PathElem) bool {
	return len(p) == 3 && p[0].GetName() == "interfaces" && p[1].GetName() == "interface" && p[2].GetName() == "name"
}

// interfaceUp sets an interface's admin and oper status.
func interfaceUp(entry []*gpb.PathElem, up bool) []tree.Op {
	s := "DOWN"
	if up {
		s = "UP"
	}
	return []tree.Op{
		update(appendPath(entry, "state", "admin-status"), stringVal(s)),
		update(appendPath(entry, "state", "oper-status"), stringVal(s)),
	}
}

// inverse returns the operations that undo configuration changes: the old
// value of every leaf that had one, and deletes for those that had none (a
// created list entry is deleted whole).
func inverse(changes []tree.LeafChange) ([]tree.Op, error) {
	var dels, ups []tree.Op
	for _, c := range changes {
		if c.Old.IsValid() {
			tv, err := c.Field.TypedValue(c.Old)
			if err != nil {
				return nil, err
			}
			ups = append(ups, update(c.Path, tv))
			continue
		}
		p := c.Path
		if l := len(p); l >= 2 {
			if _, isKey := p[l-2].GetKey()[p[l-1].GetName()]; isKey {
				p = p[:l-1]
			}
		}
		dels = append(dels, tree.Op{Kind: tree.Delete, Path: p})
	}
	return append(dels, ups...), nil
}

// publish sends changed leaves to the subscribers that want them. The
// caller holds e.mu, which orders notifications as the changes were made.
func (e *Element) publish(changes []tree.LeafChange) {
	if len(changes) == 0 || len(e.subs) == 0 {
		return
	}
	n := &gpb.Notification{Timestamp: time.Now().UnixNano()}
	for _, c := range changes {
		if !c.New.IsValid() {
			n.Delete = append(n.Delete, &gpb.Path{Elem: c.Path})
			continue
		}
		tv, err := c.Field.TypedValue(c.New)
		if err != nil || tv == nil {
			continue
		}
		n.Update = append(n.Update, &gpb.Update{Path: &gpb.Path{Elem: c.Path}, Val: tv})
	}
	for s := range e.subs {
		s.offer(n)
	}
}

// rollbackLocked undoes the pending confirmed commit. The caller holds
// e.mu.
func (e *Element) rollbackLocked(why string) {
	p := e.pending
	e.pending = nil
	p.timer.Stop()
	if _, err := e.edit(p.undo, true); err != nil {
		e.f.log.Error("sim: rolling back a confirmed commit", "element", e.name, "commit", p.id, "err", err)
		return
	}
	e.f.log.Info("sim: confirmed commit rolled back", "element", e.name, "commit", p.id, "reason", why)
}

func update(p []*gpb.PathElem, v *gpb.TypedValue) tree.Op {
	return tree.Op{Kind: tree.Update, Path: p, Value: v}
}

func stringVal(s string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: s}}
}

func pathOf(names ...string) []*gpb.PathElem { return appendPath(nil, names...) }

func appendPath(p []*gpb.PathElem, names ...string) []*gpb.PathElem {
	out := make([]*gpb.PathElem, len(p), len(p)+len(names))
	copy(out, p)
	for _, n := range names {
		out = append(out, &gpb.PathElem{Name: n})
	}
	return out
}
