package sim

import (
	"strings"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore/tree"
)

// subscriberQueue bounds the notifications waiting for one subscriber: a
// subscriber that falls this far behind is cut off (ResourceExhausted) and
// must subscribe again, so that a slow client never slows the element.
const subscriberQueue = 1024

// minSample is the fastest SAMPLE interval served; 0 asks for it.
const minSample = 100 * time.Millisecond

// subscriber is one STREAM subscription's queue of changes.
type subscriber struct {
	onChange [][]*gpb.PathElem
	ch       chan *gpb.Notification
	over     chan struct{}
	overOnce sync.Once
}

// offer queues the part of n the subscriber wants, never waiting.
func (s *subscriber) offer(n *gpb.Notification) {
	n = filter(n, s.onChange)
	if n == nil {
		return
	}
	select {
	case s.ch <- n:
	default:
		s.overOnce.Do(func() { close(s.over) })
	}
}

// Subscribe serves ONCE, POLL and STREAM subscriptions. STREAM sends the
// initial values, a sync_response, then every change (ON_CHANGE and
// TARGET_DEFINED) or every value each interval (SAMPLE; suppress_redundant
// and heartbeat_interval are not honoured).
func (f *Fleet) Subscribe(stream gpb.GNMI_SubscribeServer) error {
	req, err := stream.Recv()
	if err != nil {
		return err
	}
	list := req.GetSubscribe()
	if list == nil {
		return status.Error(codes.InvalidArgument, "the first SubscribeRequest must hold a SubscriptionList")
	}
	e, err := f.element(stream.Context(), list.GetPrefix().GetTarget())
	if err != nil {
		return err
	}
	if err := checkEncoding(list.GetEncoding()); err != nil {
		return err
	}
	prefix, err := elems(list.GetPrefix())
	if err != nil {
		return err
	}
	var all, onChange, sampled [][]*gpb.PathElem
	sample := time.Duration(0)
	subs := list.GetSubscription()
	if len(subs) == 0 {
		subs = []*gpb.Subscription{{}}
	}
	for _, s := range subs {
		rel, err := elems(s.GetPath())
		if err != nil {
			return err
		}
		p := plainNames(join(prefix, rel))
		if err := f.model.Schema.Match(f.model.Schema.New(), p, func(tree.Node) error { return nil }); err != nil {
			return pathStatus(p, err)
		}
		all = append(all, p)
		if s.GetMode() == gpb.SubscriptionMode_SAMPLE && list.GetMode() == gpb.SubscriptionList_STREAM {
			d := max(time.Duration(s.GetSampleInterval()), minSample)
			if sample == 0 || d < sample {
				sample = d
			}
			sampled = append(sampled, p)
			continue
		}
		onChange = append(onChange, p)
	}
	out := &gpb.Path{Target: list.GetPrefix().GetTarget()}
	send := func(ns []*gpb.Notification) error {
		for _, n := range ns {
			n.Prefix = out
			if err := stream.Send(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_Update{Update: n}}); err != nil {
				return err
			}
		}
		return nil
	}
	synced := func() error {
		return stream.Send(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_SyncResponse{SyncResponse: true}})
	}
	initial := func() error {
		if list.GetUpdatesOnly() {
			return synced()
		}
		if err := send(e.dump(all)); err != nil {
			return err
		}
		return synced()
	}

	switch list.GetMode() {
	case gpb.SubscriptionList_ONCE:
		return initial()
	case gpb.SubscriptionList_POLL:
		if err := initial(); err != nil {
			return err
		}
		for {
			req, err := stream.Recv()
			if err != nil {
				return err
			}
			if req.GetPoll() == nil {
				return status.Error(codes.InvalidArgument, "a POLL subscription takes only Poll messages after its SubscriptionList")
			}
			if err := send(e.dump(all)); err != nil {
				return err
			}
			if err := synced(); err != nil {
				return err
			}
		}
	}

	s := &subscriber{onChange: onChange, ch: make(chan *gpb.Notification, subscriberQueue), over: make(chan struct{})}
	e.mu.Lock()
	var first []*gpb.Notification
	if !list.GetUpdatesOnly() {
		// Taken under the lock that orders changes, so that no change is
		// missed or sent twice.
		first = e.dumpLocked(all)
	}
	if len(onChange) > 0 {
		e.subs[s] = struct{}{}
	}
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.subs, s)
		e.mu.Unlock()
	}()
	if err := send(first); err != nil {
		return err
	}
	if err := synced(); err != nil {
		return err
	}

	closed := make(chan error, 1)
	go func() {
		for {
			if _, err := stream.Recv(); err != nil {
				closed <- err
				return
			}
		}
	}()
	var tick <-chan time.Time
	if sample > 0 {
		t := time.NewTicker(sample)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case n := <-s.ch:
			if err := send([]*gpb.Notification{n}); err != nil {
				return err
			}
		case <-tick:
			if err := send(e.dump(sampled)); err != nil {
				return err
			}
		case <-s.over:
			return status.Errorf(codes.ResourceExhausted, "subscriber fell more than %d notifications behind on %s; subscribe again", subscriberQueue, e.name)
		case err := <-closed:
			return err
		case <-stream.Context().Done():
			return stream.Context().Err()
		}
	}
}

// dump returns the current leaves under each path, one notification per
// path.
func (e *Element) dump(paths [][]*gpb.PathElem) []*gpb.Notification {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dumpLocked(paths)
}

func (e *Element) dumpLocked(paths [][]*gpb.PathElem) []*gpb.Notification {
	sc := e.f.model.Schema
	var out []*gpb.Notification
	for _, p := range paths {
		n := &gpb.Notification{Timestamp: time.Now().UnixNano()}
		_ = sc.Match(e.root, p, func(node tree.Node) error {
			ups, err := leafUpdates(sc, node, nil)
			n.Update = append(n.Update, ups...)
			return err
		})
		if len(n.Update) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// filter returns the part of a notification of leaf changes under any of
// the paths, or nil.
func filter(n *gpb.Notification, paths [][]*gpb.PathElem) *gpb.Notification {
	for _, p := range paths {
		if len(p) == 0 {
			return n
		}
	}
	out := &gpb.Notification{Timestamp: n.GetTimestamp()}
	for _, d := range n.GetDelete() {
		if underAny(paths, d.GetElem()) {
			out.Delete = append(out.Delete, d)
		}
	}
	for _, u := range n.GetUpdate() {
		if underAny(paths, u.GetPath().GetElem()) {
			out.Update = append(out.Update, u)
		}
	}
	if len(out.Delete)+len(out.Update) == 0 {
		return nil
	}
	return out
}

func underAny(patterns [][]*gpb.PathElem, p []*gpb.PathElem) bool {
	for _, pat := range patterns {
		if under(pat, p) {
			return true
		}
	}
	return false
}

// under reports whether path p is at or below a node that pattern (with
// gNMI wildcards: "*", "...", key "*" or left out) matches.
func under(pattern, p []*gpb.PathElem) bool {
	if len(pattern) == 0 {
		return true
	}
	pe := pattern[0]
	if pe.GetName() == "..." {
		for i := 0; i <= len(p); i++ {
			if under(pattern[1:], p[i:]) {
				return true
			}
		}
		return false
	}
	if len(p) == 0 || pe.GetName() != "*" && pe.GetName() != p[0].GetName() {
		return false
	}
	for k, v := range pe.GetKey() {
		if v != "*" && p[0].GetKey()[k] != v {
			return false
		}
	}
	return under(pattern[1:], p[1:])
}

// plainNames drops module qualifiers from path element names, as the
// element's own paths have none.
func plainNames(p []*gpb.PathElem) []*gpb.PathElem {
	out := make([]*gpb.PathElem, len(p))
	for i, e := range p {
		out[i] = e
		if j := strings.IndexByte(e.GetName(), ':'); j >= 0 {
			out[i] = &gpb.PathElem{Name: e.GetName()[j+1:], Key: e.GetKey()}
		}
	}
	return out
}
