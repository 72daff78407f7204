package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

// The hub is the one reader of the datastore's feeds: the commits to
// configuration and the updates of operational state. It hands every
// change, once, to the inbox of each ON_CHANGE subscription of the target
// it touches, and the subscriptions' own goroutines match paths and queue
// leaves in parallel. One reader rather than a Watcher per subscription,
// so that a change's leaves are encoded once per encoding for every
// subscriber (change.encoded), not once per subscriber.
type hub struct {
	ctx        context.Context // the hub's life
	feeds      []*datastore.Watcher
	store      *datastore.Store
	log        *slog.Logger
	inboxLimit int
	ownWG      sync.WaitGroup // the history feed's follower (ownfeed.go)

	mu      sync.Mutex
	inboxes map[string]map[*inbox]struct{} // by element (or nwmo)
	err     error                          // why a feed ended
	ownGen  uint64                         // the history follower handing over now
	ownStop context.CancelFunc             // stops it
}

// newHub returns a hub that lives as long as ctx; run it.
func newHub(ctx context.Context, store *datastore.Store, inboxLimit int, log *slog.Logger) *hub {
	// Watch now, not when run starts: a subscription opened in between
	// must not miss a change.
	return &hub{ctx: ctx, feeds: []*datastore.Watcher{store.Watch(), store.WatchState()}, store: store, log: log,
		inboxLimit: inboxLimit, inboxes: map[string]map[*inbox]struct{}{}}
}

// run reads the feeds until the hub's context is done or the datastore
// closes.
func (h *hub) run() {
	ctx := h.ctx
	defer h.ownWG.Wait()
	var wg sync.WaitGroup
	for _, w := range h.feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.follow(ctx, w)
		}()
	}
	wg.Wait()
}

// follow hands the changes of one feed to the inboxes.
func (h *hub) follow(ctx context.Context, w *datastore.Watcher) {
	for {
		e, err := w.Next(ctx)
		if errors.Is(err, datastore.ErrResync) {
			// Changes were lost to every subscriber: all of them must
			// re-read their state.
			h.log.Warn("subscriptions fell behind the datastore's feed; resynchronising them all")
			h.each(func(in *inbox) { in.overflowNow() })
			continue
		}
		if err != nil {
			if ctx.Err() == nil {
				h.log.Error("datastore feed ended; closing subscriptions", "err", err)
			} else {
				err = errClosing
			}
			h.mu.Lock()
			if h.err == nil {
				h.err = err
			}
			h.mu.Unlock()
			h.each(func(in *inbox) { in.close(err) })
			return
		}
		if !h.watched(e) {
			continue
		}
		ev := newEvent(e, h.store, h.log)
		h.mu.Lock()
		for _, c := range ev.changes {
			for in := range h.inboxes[c.target] {
				in.push(ev)
			}
		}
		h.mu.Unlock()
	}
}

// watched reports whether a subscriber follows a target e changed: most
// commits, on elements nobody subscribes to, need no event. A subscriber
// that comes after this answer reads the state the commit left.
func (h *hub) watched(e *datastore.Event) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range e.Changes {
		if len(h.inboxes[c.Target]) > 0 {
			return true
		}
	}
	return false
}

func (h *hub) each(fn func(*inbox)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.inboxes {
		for in := range set {
			fn(in)
		}
	}
}

// subscribe returns a new inbox for the changes of target (an element, or
// nwmo); call unsubscribe when done.
func (h *hub) subscribe(target string) *inbox {
	in := &inbox{limit: h.inboxLimit, ready: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		in.close(h.err)
		return in
	}
	set := h.inboxes[target]
	if set == nil {
		set = map[*inbox]struct{}{}
		h.inboxes[target] = set
		if target == datastore.ServerTarget {
			h.startOwnLocked()
		}
	}
	set[in] = struct{}{}
	in.target = target
	return in
}

func (h *hub) unsubscribe(in *inbox) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.inboxes[in.target]; set != nil {
		delete(set, in)
		if len(set) == 0 {
			delete(h.inboxes, in.target)
			if in.target == datastore.ServerTarget {
				h.stopOwnLocked()
			}
		}
	}
}

// inbox holds the changes a subscription has not yet looked at. The hub
// never waits on it: past limit events it drops them all and marks an
// overflow, which the subscription answers by resynchronising.
type inbox struct {
	target string
	limit  int
	ready  chan struct{} // holds a token while there is something to take

	mu       sync.Mutex
	events   []*event
	overflow bool
	err      error
}

func (in *inbox) push(ev *event) {
	in.mu.Lock()
	if len(in.events) >= in.limit {
		in.events, in.overflow = nil, true
	} else {
		in.events = append(in.events, ev)
	}
	in.mu.Unlock()
	in.signal()
}

func (in *inbox) overflowNow() {
	in.mu.Lock()
	in.events, in.overflow = nil, true
	in.mu.Unlock()
	in.signal()
}

func (in *inbox) close(err error) {
	in.mu.Lock()
	in.err = err
	in.mu.Unlock()
	in.signal()
}

func (in *inbox) signal() {
	select {
	case in.ready <- struct{}{}:
	default:
	}
}

// take returns what is waiting: the events, whether some were dropped
// before them, and the error that ended the feed, if it ended.
func (in *inbox) take() (events []*event, overflow bool, err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	events, overflow, err = in.events, in.overflow, in.err
	in.events, in.overflow = nil, false
	return events, overflow, err
}

// event is one commit or state update, shared by every subscription it is
// handed to.
type event struct {
	changes []*change
}

// change is one target's part of a commit, its leaves encoded lazily and
// once per encoding for all subscribers: as Update messages in wire form,
// ready to be copied into each subscriber's Notification.
type change struct {
	target string
	ts     int64
	n      *gpb.Notification
	sc     *tree.Schema
	log    *slog.Logger

	leavesOnce sync.Once
	leaves     []changedLeaf

	encOnce [numEncodings]sync.Once
	enc     [numEncodings][][]byte // parallel to leaves: encoded Update, or for a delete its Path

	notesMu sync.Mutex
	notes   map[string]*sharedNotes // by session.filterKey
}

// sharedNotes are the encoded SubscribeResponses that carry a change to
// every subscriber of one filterKey, built once by the first of them.
type sharedNotes struct {
	once   sync.Once
	msgs   [][]byte
	leaves int // updates and deletes in msgs
}

// notesFor returns the change's encoded SubscribeResponses for the
// subscribers of key, calling build for the first of them only.
func (c *change) notesFor(key string, build func(*sharedNotes)) *sharedNotes {
	c.notesMu.Lock()
	if c.notes == nil {
		c.notes = map[string]*sharedNotes{}
	}
	sn := c.notes[key]
	if sn == nil {
		sn = &sharedNotes{}
		c.notes[key] = sn
	}
	c.notesMu.Unlock()
	sn.once.Do(func() { build(sn) })
	return sn
}

// changedLeaf is a leaf a commit updated or deleted.
type changedLeaf struct {
	key  string // the path as a string: the coalescing key
	path []*gpb.PathElem
	del  bool
}

// field is the Notification field that carries the leaf.
func (l *changedLeaf) field() protowire.Number {
	if l.del {
		return fieldDelete
	}
	return fieldUpdate
}

func newEvent(e *datastore.Event, store *datastore.Store, log *slog.Logger) *event {
	ev := &event{changes: make([]*change, len(e.Changes))}
	for i, tc := range e.Changes {
		ev.changes[i] = &change{target: tc.Target, ts: tc.New.GetTimestamp(), n: tc.New, sc: store.Schema(tc.Target), log: log}
	}
	return ev
}

// changed returns the leaves of the change, deletes first, as a
// notification applies them.
func (c *change) changed() []changedLeaf {
	c.leavesOnce.Do(func() {
		c.leaves = make([]changedLeaf, 0, len(c.n.GetDelete())+len(c.n.GetUpdate()))
		for _, p := range c.n.GetDelete() {
			c.leaves = append(c.leaves, changedLeaf{key: tree.FormatPath(p.GetElem()), path: p.GetElem(), del: true})
		}
		for _, u := range c.n.GetUpdate() {
			c.leaves = append(c.leaves, changedLeaf{key: tree.FormatPath(u.GetPath().GetElem()), path: u.GetPath().GetElem()})
		}
	})
	return c.leaves
}

// Encodings have a slot each in change.enc.
const (
	encJSON = iota
	encJSONIETF
	encPROTO
	numEncodings
)

func encodingSlot(enc gpb.Encoding) int {
	switch enc {
	case gpb.Encoding_JSON_IETF:
		return encJSONIETF
	case gpb.Encoding_PROTO:
		return encPROTO
	}
	return encJSON
}

// encoded returns the leaves of the change and, parallel to them, their
// wire form in enc: an Update, or the Path of a delete. The feed carries
// scalar TypedValues, which are PROTO already; the JSON encodings need the
// schema of each leaf.
func (c *change) encoded(enc gpb.Encoding) ([]changedLeaf, [][]byte) {
	leaves := c.changed()
	slot := encodingSlot(enc)
	c.encOnce[slot].Do(func() {
		raw := make([][]byte, len(leaves))
		src := c.n.GetUpdate()
		off := len(leaves) - len(src)
		for i := range off {
			raw[i] = c.marshal(leaves[i].key, &gpb.Path{Elem: leaves[i].path})
		}
		for i, u := range src {
			tv := u.GetVal()
			if slot != encPROTO {
				var err error
				if tv, err = jsonOfTyped(c.sc, u.GetPath().GetElem(), u.GetVal(), enc); err != nil {
					// Never expected: the value came out of the schema.
					// Send the scalar rather than lose the change.
					c.log.Warn("encoding a changed leaf for subscribers", "target", c.target, "path", leaves[off+i].key, "encoding", enc, "err", err)
					tv = u.GetVal()
				}
			}
			raw[off+i] = c.marshal(leaves[off+i].key, &gpb.Update{Path: &gpb.Path{Elem: leaves[off+i].path}, Val: tv})
		}
		c.enc[slot] = raw
	})
	return leaves, c.enc[slot]
}

// marshal encodes a leaf's message; on error (a string that is not UTF-8)
// it logs and returns nil, and subscribers skip the leaf.
func (c *change) marshal(key string, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		c.log.Error("encoding a changed leaf for subscribers", "target", c.target, "path", key, "err", err)
		return nil
	}
	return b
}

// jsonOfTyped re-encodes the scalar value of the leaf at path in a JSON
// encoding.
func jsonOfTyped(sc *tree.Schema, path []*gpb.PathElem, tv *gpb.TypedValue, enc gpb.Encoding) (*gpb.TypedValue, error) {
	f, err := leafField(sc, path)
	if err != nil {
		return nil, err
	}
	v, err := f.FromTypedValue(tv)
	if err != nil {
		return nil, err
	}
	return leafValue(f, v, enc)
}

// leafField finds the schema field of a leaf from its data path.
func leafField(sc *tree.Schema, path []*gpb.PathElem) (*tree.Field, error) {
	st := sc.Root
	var f *tree.Field
	for i, e := range path {
		if st == nil {
			return nil, badRequest("%s goes below a leaf", tree.FormatPath(path[:i+1]))
		}
		if f = st.Child(e.GetName()); f == nil {
			return nil, unknownPath(st, path[:i], e.GetName())
		}
		st = f.Struct
	}
	if f == nil {
		return nil, badRequest("the root is not a leaf")
	}
	return f, nil
}
