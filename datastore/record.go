package datastore

import (
	"encoding/binary"
	"fmt"
	"reflect"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore/tree"
)

// Status is where a commit is in its life cycle; the names are those of
// the nwmo YANG module's commit-status.
type Status string

// The statuses of a commit.
const (
	StatusPrepared       Status = "prepared"
	StatusPendingConfirm Status = "pending-confirm"
	StatusCommitted      Status = "committed"
	StatusRolledBack     Status = "rolled-back"
	StatusFailed         Status = "failed"
)

// Header is the record of one commit, without its change.
type Header struct {
	ID              uint64   `json:"id"`
	Time            int64    `json:"time"` // nanoseconds since the epoch
	User            string   `json:"user,omitempty"`
	Message         string   `json:"message,omitempty"`
	Targets         []string `json:"targets"`
	Status          Status   `json:"status"`
	Candidate       string   `json:"candidate,omitempty"`
	RollbackOf      uint64   `json:"rollbackOf,omitempty"`
	ConfirmID       string   `json:"confirmId,omitempty"`
	ConfirmDeadline int64    `json:"confirmDeadline,omitempty"`
	Changes         int      `json:"changes"`
	// Chunks is how many body chunks the change was written in.
	Chunks int `json:"chunks"`
}

// TargetChange is the exact change of a commit on one target.
type TargetChange struct {
	Target string
	// New holds the updated leaves with their new values and the deleted
	// leaves: applying it to the old configuration gives the new one.
	New *gpb.Notification
	// Old is the inverse: the old values of leaves that existed, and
	// deletes for leaves that did not.
	Old *gpb.Notification
}

// toTargetChange converts an edit's leaf changes into notifications.
func toTargetChange(name string, ts int64, changes []tree.LeafChange) (TargetChange, error) {
	tc := TargetChange{
		Target: name,
		New:    &gpb.Notification{Timestamp: ts, Prefix: &gpb.Path{Target: name}},
		Old:    &gpb.Notification{Timestamp: ts, Prefix: &gpb.Path{Target: name}},
	}
	for _, c := range changes {
		p := &gpb.Path{Elem: c.Path}
		if err := addLeaf(tc.New, p, c.Field, c.New); err != nil {
			return tc, err
		}
		if err := addLeaf(tc.Old, p, c.Field, c.Old); err != nil {
			return tc, err
		}
	}
	return tc, nil
}

func addLeaf(n *gpb.Notification, p *gpb.Path, f *tree.Field, v reflect.Value) error {
	if !v.IsValid() {
		n.Delete = append(n.Delete, p)
		return nil
	}
	tv, err := f.TypedValue(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", tree.FormatPath(p.Elem), err)
	}
	n.Update = append(n.Update, &gpb.Update{Path: p, Val: tv})
	return nil
}

// encodeBody frames the changes of a commit: for each target, the
// length-prefixed New and Old notifications.
func encodeBody(changes []TargetChange) ([]byte, error) {
	size := 0
	for _, c := range changes {
		size += proto.Size(c.New) + proto.Size(c.Old) + 2*binary.MaxVarintLen64
	}
	// The sizes just computed are cached in the messages: marshalling
	// them into one buffer of the right size allocates nothing more.
	o := proto.MarshalOptions{UseCachedSize: true}
	b := make([]byte, 0, size)
	for _, c := range changes {
		for _, n := range []*gpb.Notification{c.New, c.Old} {
			b = binary.AppendUvarint(b, uint64(o.Size(n)))
			var err error
			if b, err = o.MarshalAppend(b, n); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func decodeBody(b []byte) ([]TargetChange, error) {
	var out []TargetChange
	next := func() (*gpb.Notification, error) {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, fmt.Errorf("corrupt commit body")
		}
		msg := &gpb.Notification{}
		if err := proto.Unmarshal(b[n:n+int(l)], msg); err != nil {
			return nil, err
		}
		b = b[n+int(l):]
		return msg, nil
	}
	for len(b) > 0 {
		nw, err := next()
		if err != nil {
			return nil, err
		}
		old, err := next()
		if err != nil {
			return nil, err
		}
		out = append(out, TargetChange{Target: nw.GetPrefix().GetTarget(), New: nw, Old: old})
	}
	return out, nil
}

// notificationOps turns a change notification into the operations that
// apply it: deletes first, then leaf updates. Deleting a list's key leaf
// deletes the whole entry.
func notificationOps(s *tree.Schema, n *gpb.Notification) []tree.Op {
	ops := make([]tree.Op, 0, len(n.GetDelete())+len(n.GetUpdate()))
	for _, p := range n.GetDelete() {
		path := p.GetElem()
		if l := len(path); l >= 2 && len(path[l-2].GetKey()) > 0 {
			if _, isKey := path[l-2].GetKey()[path[l-1].GetName()]; isKey {
				path = path[:l-1]
			}
		}
		ops = append(ops, tree.Op{Kind: tree.Delete, Path: path})
	}
	for _, u := range n.GetUpdate() {
		ops = append(ops, tree.Op{Kind: tree.Update, Path: u.GetPath().GetElem(), Value: u.GetVal()})
	}
	return ops
}
