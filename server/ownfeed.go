package server

import (
	"context"
	"errors"
	"reflect"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/nwmomodel"
)

// The commits the history keeps and the open candidates reach ON_CHANGE
// subscribers of target nwmo from the datastore's history feed, as a
// commit's change reaches an element's subscribers: the hub turns each
// change of the history into the leaves it updates and deletes, and hands
// them to the same inboxes. It follows the history feed only while
// someone subscribes to nwmo; otherwise a commit costs the feed an entry
// in its ring and nothing more.

// ownLeaf is one leaf of nwmo's built state, with its value as the feed
// carries values (PROTO).
type ownLeaf struct {
	key  string
	path []*gpb.PathElem
	val  *gpb.TypedValue
}

// startOwnLocked starts following the history feed for the subscribers of
// nwmo, from now: before the first of them reads its initial state. Called
// with h.mu held.
func (h *hub) startOwnLocked() {
	h.ownGen++
	gen := h.ownGen
	ctx, cancel := context.WithCancel(h.ctx)
	h.ownStop = cancel
	w := h.store.WatchHistory()
	// The candidates as they are now, after the watch begins and before
	// any subscriber reads them: a change after this is both on the feed
	// and a difference from it.
	cands := candidatesLeaves(h.store.Schema(datastore.ServerTarget), h.store.Candidates())
	h.ownWG.Add(1)
	go func() {
		defer h.ownWG.Done()
		h.followOwn(ctx, w, gen, cands)
	}()
}

// stopOwnLocked stops following the history feed: nobody subscribes to
// nwmo. What the follower still hands over is dropped (its generation is
// past). Called with h.mu held.
func (h *hub) stopOwnLocked() {
	if h.ownStop != nil {
		h.ownStop()
		h.ownStop = nil
	}
	h.ownGen++
}

// followOwn hands the changes of the history feed to the inboxes of nwmo
// while gen is the follower's generation. cands are the candidates' leaves
// as last handed over: the feed names a candidate that changed, and the
// difference is what goes out.
func (h *hub) followOwn(ctx context.Context, w *datastore.Watcher, gen uint64, cands map[string][]ownLeaf) {
	sc := h.store.Schema(datastore.ServerTarget)
	push := func(fn func(*inbox)) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.ownGen != gen {
			return
		}
		for in := range h.inboxes[datastore.ServerTarget] {
			fn(in)
		}
	}
	for {
		e, err := w.Next(ctx)
		if errors.Is(err, datastore.ErrResync) {
			h.log.Warn("subscribers of nwmo fell behind the history feed; resynchronising them")
			cands = candidatesLeaves(sc, h.store.Candidates())
			push(func(in *inbox) { in.overflowNow() })
			continue
		}
		if err != nil {
			// ctx is done, or the datastore closed: the commit feed's
			// follower ends the subscriptions then.
			return
		}
		n := h.ownNotification(sc, e, cands)
		if n == nil {
			continue
		}
		ev := &event{changes: []*change{{target: datastore.ServerTarget, ts: n.Timestamp, n: n, sc: sc, log: h.log}}}
		push(func(in *inbox) { in.push(ev) })
	}
}

// ownNotification returns the leaves a change of the history updates and
// deletes, or nil when it changes none; cands is kept up to date.
func (h *hub) ownNotification(sc *tree.Schema, e *datastore.Event, cands map[string][]ownLeaf) *gpb.Notification {
	hc := e.History
	var was, now []ownLeaf
	switch {
	case hc == nil:
		return nil
	case hc.Commit != nil:
		now = commitLeaves(sc, *hc.Commit)
		if hc.Was != nil {
			was = commitLeaves(sc, *hc.Was)
		}
	case len(hc.Dropped) > 0:
		for _, hd := range hc.Dropped {
			was = append(was, commitLeaves(sc, hd)...)
		}
	case hc.Candidate != "":
		was = cands[hc.Candidate]
		if ci, ok := h.store.Candidate(hc.Candidate); ok {
			now = ownLeaves(sc, &nwmomodel.Root{Candidates: candidatesState([]datastore.CandidateInfo{ci})})
			cands[hc.Candidate] = now
		} else {
			delete(cands, hc.Candidate)
		}
	}
	return leafDiff(e.Time, was, now)
}

func commitLeaves(sc *tree.Schema, hd datastore.Header) []ownLeaf {
	return ownLeaves(sc, &nwmomodel.Root{Commits: commitsState([]datastore.Header{hd})})
}

func candidatesLeaves(sc *tree.Schema, cs []datastore.CandidateInfo) map[string][]ownLeaf {
	m := make(map[string][]ownLeaf, len(cs))
	for _, ci := range cs {
		m[ci.Name] = ownLeaves(sc, &nwmomodel.Root{Candidates: candidatesState([]datastore.CandidateInfo{ci})})
	}
	return m
}

// ownLeaves returns the leaves of a root of nwmo's model, as a read of it
// finds them.
func ownLeaves(sc *tree.Schema, root *nwmomodel.Root) []ownLeaf {
	var out []ownLeaf
	sc.Leaves(sc.Root, reflect.ValueOf(root), nil, func(p []*gpb.PathElem, f *tree.Field, v reflect.Value) {
		if tv, err := leafValue(f, v, gpb.Encoding_PROTO); err == nil && tv != nil {
			out = append(out, ownLeaf{key: tree.FormatPath(p), path: p, val: tv})
		}
	})
	return out
}

// leafDiff returns, at ts, an update for each leaf of now that is new or
// changed since was, and a delete for each leaf of was that is gone; nil
// when nothing changed.
func leafDiff(ts int64, was, now []ownLeaf) *gpb.Notification {
	old := make(map[string]*gpb.TypedValue, len(was))
	for _, l := range was {
		old[l.key] = l.val
	}
	n := &gpb.Notification{Timestamp: ts, Prefix: &gpb.Path{Target: datastore.ServerTarget}}
	for _, l := range now {
		v, ok := old[l.key]
		delete(old, l.key)
		if !ok || !proto.Equal(v, l.val) {
			n.Update = append(n.Update, &gpb.Update{Path: &gpb.Path{Elem: l.path}, Val: l.val})
		}
	}
	for _, l := range was {
		if _, gone := old[l.key]; gone {
			n.Delete = append(n.Delete, &gpb.Path{Elem: l.path})
		}
	}
	if len(n.Update) == 0 && len(n.Delete) == 0 {
		return nil
	}
	return n
}
