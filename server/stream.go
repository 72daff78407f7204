package server

import (
	"context"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/server/coalesce"
)

// pending is a changed leaf waiting for a STREAM subscriber, encoded: an
// Update (field fieldUpdate) or the Path of a delete (fieldDelete), of the
// change at ts.
type pending struct {
	ts    int64
	field protowire.Number
	raw   []byte
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
				leaves, raws := c.encoded(ss.enc)
				for i := range leaves {
					l := &leaves[i]
					if raws[i] == nil || !ss.wants(l.path) {
						continue
					}
					field := fieldUpdate
					if l.del {
						field = fieldDelete
					}
					q.Insert(l.key, pending{ts: c.ts, field: field, raw: raws[i]})
				}
			}
		}
		if err != nil {
			return err
		}
	}
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
		if err := b.add(it.ts, it.field, it.raw); err != nil {
			return err
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
