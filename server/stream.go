package server

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/server/coalesce"
)

// pending is what waits for a STREAM subscriber in its queue: a changed
// leaf, encoded as an Update (field fieldUpdate) or the Path of a delete
// (fieldDelete), of the change at ts; or a whole change's encoded
// SubscribeResponses, shared with other subscribers (notes).
type pending struct {
	ts    int64
	field protowire.Number
	raw   []byte
	notes [][]byte
}

// stream serves a STREAM subscription. Two goroutines of the session's own
// feed it: recvLoop watches the client, and the pump moves the changes the
// hub hands over (commits and state updates) into a coalescing queue,
// keyed by leaf path; this one sends. The pump never waits for the client, so a slow subscriber costs
// at most the queue's bound; past it, the subscriber is resynchronised
// with the state as it is then.
func (ss *session) stream() error {
	ctx, cancel := context.WithCancel(ss.ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	done := make(chan error, 1)
	go ss.recvLoop(nil, done)

	var q *coalesce.Queue[string, pending]
	var ready <-chan struct{}
	feedEnded := make(chan error, 1)
	if len(ss.onChange) > 0 {
		// Subscribe to the feeds before reading the initial state, so
		// that no change falls between the two. A change already in the
		// state may then come again: its values are sent twice, in order,
		// and the client ends with the right ones.
		in := ss.s.hub.subscribe(ss.t.element)
		defer ss.s.hub.unsubscribe(in)
		q = coalesce.New[string, pending](ss.s.opts.queue)
		defer q.Close()
		ready = q.Ready()
		wg.Add(1)
		go func() {
			defer wg.Done()
			feedEnded <- ss.pump(ctx, in, q)
		}()
	}

	if !ss.updatesOnly {
		if err := ss.dump(ss.subs, nil); err != nil {
			return err
		}
	}
	if err := ss.sendSync(); err != nil {
		return err
	}
	now := time.Now()
	for _, sub := range ss.subs {
		if sub.mode == gpb.SubscriptionMode_SAMPLE {
			sub.nextSample = now.Add(sub.interval)
		}
		if sub.heartbeat > 0 && (sub.mode == gpb.SubscriptionMode_ON_CHANGE || sub.suppress) {
			sub.nextBeat = now.Add(sub.heartbeat)
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	ss.schedule(timer)

	var items []pending
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ss.s.closing:
			return errClosing
		case err := <-done:
			return err
		case err := <-feedEnded:
			if err == nil {
				err = ctx.Err()
			}
			return err
		case <-ready:
			var overflowed bool
			items, overflowed = q.Drain(items[:0], ss.s.opts.notificationLimit)
			if overflowed {
				if err := ss.resync(); err != nil {
					return err
				}
			}
			if err := ss.sendPending(items); err != nil {
				return err
			}
			clear(items) // let sent values go
		case <-timer.C:
			if err := ss.tick(time.Now()); err != nil {
				return err
			}
			ss.schedule(timer)
		}
	}
}

// pump matches the commits in the inbox against the ON_CHANGE
// subscriptions and queues the leaves they cover. It returns when ctx is
// done (nil) or the feed ends (its error).
func (ss *session) pump(ctx context.Context, in *inbox, q *coalesce.Queue[string, pending]) error {
	var blocks uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-in.ready:
		}
		events, overflow, err := in.take()
		if overflow {
			q.Overflow()
		}
		for _, ev := range events {
			for _, c := range ev.changes {
				if c.target != ss.t.element {
					continue
				}
				// A subscriber that keeps up has nothing waiting: its
				// change goes as a whole, in Notifications encoded once
				// for every subscriber of the same filter. One that
				// lags gets leaves to coalesce with what waits. (The
				// pump is the queue's only producer: it stays empty
				// until the insert.)
				if q.Len() == 0 {
					sn := c.notesFor(ss.filterKey(), func(sn *sharedNotes) { ss.encodeChange(c, sn) })
					if sn.leaves > 0 {
						blocks++
						q.InsertWeighted(blockKey(blocks), pending{notes: sn.msgs}, sn.leaves)
					}
					continue
				}
				leaves, raws := c.encoded(ss.enc)
				for i := range leaves {
					l := &leaves[i]
					if raws[i] == nil || !ss.wants(l.path) {
						continue
					}
					q.Insert(l.key, pending{ts: c.ts, field: l.field(), raw: raws[i]})
				}
			}
		}
		if err != nil {
			return err
		}
	}
}

// blockKey is the queue key of the n-th whole change queued: leaf keys
// are paths and start with '/', so it is never one of them.
func blockKey(n uint64) string {
	return "\x00" + strconv.FormatUint(n, 10)
}

// encodeChange encodes what the session's ON_CHANGE subscriptions take of
// a change as the SubscribeResponses to send.
func (ss *session) encodeChange(c *change, sn *sharedNotes) {
	b := ss.newBatchTo(func(out []byte) error {
		sn.msgs = append(sn.msgs, out)
		return nil
	})
	leaves, raws := c.encoded(ss.enc)
	for i := range leaves {
		if raws[i] != nil && ss.wants(leaves[i].path) {
			sn.leaves++
			_ = b.add(c.ts, leaves[i].field(), raws[i]) // emit never fails
		}
	}
	_ = b.flush()
}

// filterKey names what the session's ON_CHANGE subscriptions take of a
// change and how it is encoded: sessions with one key send a change in the
// same SubscribeResponses.
func (ss *session) filterKey() string {
	ss.keyOnce.Do(func() {
		// Each part is preceded by its length: no two different filters
		// can spell the same key, whatever bytes their paths hold.
		var k []byte
		part := func(s string) {
			k = strconv.AppendInt(k, int64(len(s)), 10)
			k = append(k, ':')
			k = append(k, s...)
		}
		part(ss.enc.String())
		part(string(ss.prefixWire()))
		for _, sub := range ss.onChange {
			part(tree.FormatPath(sub.path))
			if sub.tops == nil {
				part("*")
				continue
			}
			tops := slices.Sorted(maps.Keys(sub.tops))
			k = append(strconv.AppendInt(k, int64(len(tops)), 10), '#')
			for _, t := range tops {
				part(t)
			}
		}
		ss.key = string(k)
	})
	return ss.key
}

// wants reports whether an ON_CHANGE subscription covers a leaf.
func (ss *session) wants(path []*gpb.PathElem) bool {
	for _, sub := range ss.onChange {
		if sub.covers(path) && sub.pat.covers(path) {
			return true
		}
	}
	return false
}

// sendPending sends queued leaves, a Notification per commit.
func (ss *session) sendPending(items []pending) error {
	b := ss.newBatch()
	for _, it := range items {
		if it.notes == nil {
			if err := b.add(it.ts, it.field, it.raw); err != nil {
				return err
			}
			continue
		}
		if err := b.flush(); err != nil {
			return err
		}
		for _, m := range it.notes {
			if err := ss.sendEncoded(m); err != nil {
				return err
			}
		}
	}
	return b.flush()
}

// resync brings a subscriber that missed changes back in step: deletes of
// the subtrees it subscribed to (up to the first wildcard), then their
// current values. Changes queued after the overflow follow, in order.
func (ss *session) resync() error {
	var deletes []*gpb.Path
	seen := map[string]bool{}
	for _, sub := range ss.subs {
		p := concretePrefix(ss.t.sc, sub.path)
		if k := tree.FormatPath(p); !seen[k] {
			seen[k] = true
			deletes = append(deletes, &gpb.Path{Elem: p})
		}
		if sub.last != nil {
			clear(sub.last)
		}
	}
	ss.s.opts.log.Debug("resynchronising a subscriber that fell behind", "target", ss.t.name)
	return ss.dump(ss.subs, deletes)
}

// tick does the samples and heartbeats due at now.
func (ss *session) tick(now time.Time) error {
	for _, sub := range ss.subs {
		beat := !sub.nextBeat.IsZero() && !now.Before(sub.nextBeat)
		if beat {
			sub.nextBeat = next(sub.nextBeat, sub.heartbeat, now)
		}
		switch {
		case sub.mode == gpb.SubscriptionMode_ON_CHANGE && beat:
			if err := ss.dump([]*subscription{sub}, nil); err != nil {
				return err
			}
		case sub.mode == gpb.SubscriptionMode_SAMPLE && (beat || !now.Before(sub.nextSample)):
			if !now.Before(sub.nextSample) {
				sub.nextSample = next(sub.nextSample, sub.interval, now)
			}
			if err := ss.sample(sub, beat); err != nil {
				return err
			}
		}
	}
	return nil
}

// next is the time after due, every d, that is after now: a subscriber
// that could not keep up skips the samples it missed.
func next(due time.Time, d time.Duration, now time.Time) time.Time {
	due = due.Add(d)
	if !due.After(now) {
		due = now.Add(d)
	}
	return due
}

// schedule sets timer to the earliest sample or heartbeat due.
func (ss *session) schedule(timer *time.Timer) {
	var first time.Time
	for _, sub := range ss.subs {
		for _, t := range []time.Time{sub.nextSample, sub.nextBeat} {
			if !t.IsZero() && (first.IsZero() || t.Before(first)) {
				first = t
			}
		}
	}
	if first.IsZero() {
		timer.Stop()
		return
	}
	timer.Reset(time.Until(first))
}
