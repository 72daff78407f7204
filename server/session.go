package server

import (
	"context"
	"reflect"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore/tree"
)

// session serves one Subscribe RPC.
type session struct {
	s    *Server
	t    target
	rpc  gpb.GNMI_SubscribeServer
	ctx  context.Context
	list *gpb.SubscriptionList
	enc  gpb.Encoding

	prefixOnce sync.Once
	prefix     []byte
	keyOnce    sync.Once
	key        string // filterKey

	updatesOnly bool
	subs        []*subscription // all of them
	onChange    []*subscription // those fed by the datastore's feeds
}

// add adds a checked subscription.
func (ss *session) add(sub *subscription) {
	ss.subs = append(ss.subs, sub)
	if sub.mode == gpb.SubscriptionMode_ON_CHANGE {
		ss.onChange = append(ss.onChange, sub)
	}
}

// read calls fn for every leaf each of subs covers, all from one snapshot
// taken at ts. fn runs under the target's read lock: it must encode what it
// keeps and not block.
func (ss *session) read(subs []*subscription, fn func(sub *subscription, p []*gpb.PathElem, f *tree.Field, v reflect.Value) error) (ts int64, err error) {
	paths := make([][]*gpb.PathElem, len(subs))
	for i, sub := range subs {
		paths[i] = sub.path
	}
	err = ss.s.view(ss.t, ownPartsFor(paths), func(root ygot.GoStruct, sc *tree.Schema) error {
		ts = time.Now().UnixNano()
		for _, sub := range subs {
			err := sc.Match(root, sub.path, func(n tree.Node) error {
				var err error
				sc.NodeLeaves(n, func(p []*gpb.PathElem, f *tree.Field, v reflect.Value) {
					if err == nil && sub.covers(p) {
						err = fn(sub, p, f, v)
					}
				})
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return ts, err
}

// dump sends the current value of every leaf subs cover, after deletes
// (of a resynchronisation), and records what SAMPLE subscriptions sent.
// The values are read under the lock and sent after it is released: a
// slow client never holds up a commit.
func (ss *session) dump(subs []*subscription, deletes []*gpb.Path) error {
	var ups []*gpb.Update
	var seen map[string]bool
	if len(subs) > 1 {
		seen = map[string]bool{}
	}
	ts, err := ss.read(subs, func(sub *subscription, p []*gpb.PathElem, f *tree.Field, v reflect.Value) error {
		tv, err := leafValue(f, v, ss.enc)
		if err != nil || tv == nil {
			return err
		}
		var key string
		if seen != nil || sub.last != nil {
			key = tree.FormatPath(p)
		}
		if sub.last != nil {
			sub.last[key] = sentLeaf{path: p, val: tv}
		}
		if seen != nil {
			if seen[key] {
				return nil
			}
			seen[key] = true
		}
		ups = append(ups, &gpb.Update{Path: &gpb.Path{Elem: p}, Val: tv})
		return nil
	})
	if err != nil {
		return err
	}
	return ss.sendUpdates(ts, deletes, ups)
}

// sample sends what a SAMPLE subscription reads now: every leaf, or with
// suppress_redundant (and all false) only the leaves whose value changed
// since last sent; and deletes for the leaves that went away.
func (ss *session) sample(sub *subscription, all bool) error {
	var ups []*gpb.Update
	here := make(map[string]bool, len(sub.last))
	ts, err := ss.read([]*subscription{sub}, func(_ *subscription, p []*gpb.PathElem, f *tree.Field, v reflect.Value) error {
		tv, err := leafValue(f, v, ss.enc)
		if err != nil || tv == nil {
			return err
		}
		key := tree.FormatPath(p)
		here[key] = true
		if old, ok := sub.last[key]; ok && sub.suppress && !all && proto.Equal(old.val, tv) {
			return nil
		}
		sub.last[key] = sentLeaf{path: p, val: tv}
		ups = append(ups, &gpb.Update{Path: &gpb.Path{Elem: p}, Val: tv})
		return nil
	})
	if err != nil {
		return err
	}
	var dels []*gpb.Path
	for key, l := range sub.last {
		if !here[key] {
			dels = append(dels, &gpb.Path{Elem: l.path})
			delete(sub.last, key)
		}
	}
	if len(ups) == 0 && len(dels) == 0 {
		return nil
	}
	return ss.sendUpdates(ts, dels, ups)
}

// sendUpdates sends deletes and updates taken at ts, as few Notifications
// as the batch and message size limits allow, deletes first.
func (ss *session) sendUpdates(ts int64, deletes []*gpb.Path, ups []*gpb.Update) error {
	b := ss.newBatch()
	for _, d := range deletes {
		raw, err := proto.Marshal(d)
		if err != nil {
			return err
		}
		if err := b.add(ts, fieldDelete, raw); err != nil {
			return err
		}
	}
	for _, u := range ups {
		raw, err := proto.Marshal(u)
		if err != nil {
			return err
		}
		if err := b.add(ts, fieldUpdate, raw); err != nil {
			return err
		}
	}
	return b.flush()
}

func (ss *session) sendSync() error {
	return ss.rpc.Send(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_SyncResponse{SyncResponse: true}})
}

// The fields of a Notification and a SubscribeResponse that batch writes.
const (
	fieldTimestamp    protowire.Number = 1 // Notification.timestamp
	fieldPrefix       protowire.Number = 2 // Notification.prefix
	fieldUpdate       protowire.Number = 4 // Notification.update
	fieldDelete       protowire.Number = 5 // Notification.delete
	fieldNotification protowire.Number = 1 // SubscribeResponse.update
)

// batch gathers encoded updates and deletes into Notifications of one
// timestamp, sending one whenever it reaches the leaf count or byte limit.
//
// It writes the Notification's wire form itself: a commit's leaves are
// encoded once (change.encoded) and copied into subscribers'
// Notifications, where marshalling a Notification per subscriber would
// encode each leaf once per subscriber and cost most of the server's time
// with many subscribers.
type batch struct {
	prefix    []byte             // the Notifications' encoded prefix, or nil
	emit      func([]byte) error // takes each encoded SubscribeResponse
	ts        int64
	fields    []protowire.Number
	raws      [][]byte
	bytes     int // of the Notification's fields so far
	maxLeaves int
	maxBytes  int
}

// newBatch returns a batch that sends its Notifications to the client.
func (ss *session) newBatch() *batch {
	return ss.newBatchTo(ss.sendEncoded)
}

// newBatchTo returns a batch of the session's Notifications that hands
// each one, encoded, to emit.
func (ss *session) newBatchTo(emit func([]byte) error) *batch {
	// Half the message limit leaves room for what estimates miss.
	return &batch{prefix: ss.prefixWire(), emit: emit, maxLeaves: ss.s.opts.notificationLimit, maxBytes: ss.s.opts.maxMsg / 2}
}

// sendEncoded sends an encoded SubscribeResponse, which it does not
// change: one encoding can go to many subscribers.
func (ss *session) sendEncoded(out []byte) error {
	return ss.rpc.SendMsg(newPreEncoded(out))
}

// add adds an encoded Update (field fieldUpdate) or Path of a delete
// (fieldDelete) taken at ts. Deletes of one Notification must come before
// its updates, as a Notification applies them.
func (b *batch) add(ts int64, field protowire.Number, raw []byte) error {
	if raw == nil {
		return nil
	}
	size := protowire.SizeTag(field) + protowire.SizeBytes(len(raw))
	if len(b.raws) > 0 && (b.ts != ts || len(b.raws) >= b.maxLeaves || b.bytes+size > b.maxBytes ||
		field == fieldDelete && b.fields[len(b.fields)-1] == fieldUpdate) {
		if err := b.flush(); err != nil {
			return err
		}
	}
	b.ts = ts
	b.fields = append(b.fields, field)
	b.raws = append(b.raws, raw)
	b.bytes += size
	return nil
}

func (b *batch) flush() error {
	if len(b.raws) == 0 {
		return nil
	}
	prefix := b.prefix
	n := protowire.SizeTag(fieldTimestamp) + protowire.SizeVarint(uint64(b.ts)) + b.bytes
	if prefix != nil {
		n += protowire.SizeTag(fieldPrefix) + protowire.SizeBytes(len(prefix))
	}
	out := make([]byte, 0, protowire.SizeTag(fieldNotification)+protowire.SizeBytes(n))
	out = protowire.AppendTag(out, fieldNotification, protowire.BytesType)
	out = protowire.AppendVarint(out, uint64(n))
	out = protowire.AppendTag(out, fieldTimestamp, protowire.VarintType)
	out = protowire.AppendVarint(out, uint64(b.ts))
	if prefix != nil {
		out = protowire.AppendTag(out, fieldPrefix, protowire.BytesType)
		out = protowire.AppendBytes(out, prefix)
	}
	for i, raw := range b.raws {
		out = protowire.AppendTag(out, b.fields[i], protowire.BytesType)
		out = protowire.AppendBytes(out, raw)
	}
	clear(b.raws)
	b.fields, b.raws, b.bytes = b.fields[:0], b.raws[:0], 0
	return b.emit(out)
}

// prefixWire is the encoded prefix of the session's Notifications, or nil.
func (ss *session) prefixWire() []byte {
	ss.prefixOnce.Do(func() {
		if p := ss.t.prefix(); p != nil {
			ss.prefix, _ = proto.Marshal(p)
		}
	})
	return ss.prefix
}
