package server

import (
	"errors"
	"io"
	"math"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/server/access"
)

// Subscribe serves the three kinds of subscription over one target (the
// SubscriptionList's prefix.target, a candidate's view included):
//   - ONCE: the current values, sync_response, and the RPC ends.
//   - POLL: the current values and sync_response, then again on every Poll.
//   - STREAM: the current values, sync_response, then per subscription:
//     ON_CHANGE sends each changed or deleted leaf; TARGET_DEFINED is
//     ON_CHANGE for every leaf, since every leaf nwmo holds changes only
//     by a commit or a state update, both of which the datastore's feeds
//     report; SAMPLE re-reads every sample_interval, with
//     suppress_redundant per leaf and heartbeat_interval overriding it.
//
// updates_only skips the current values (ONCE and POLL then answer with
// sync_response alone at first). Values are per leaf, never aggregated,
// many leaves to a Notification. A path that matches nothing yet keeps its
// subscription open.
func (s *Server) Subscribe(stream gpb.GNMI_SubscribeServer) error {
	return toStatus(s.subscribe(stream))
}

// authorizeSession checks that the session's user may subscribe to each
// of its paths; a refusal is recorded in the audit trail.
func (s *Server) authorizeSession(ss *session) error {
	for _, sub := range ss.subs {
		if err := s.authorize(ss.ctx, access.Subscribe, ss.t.element, sub.path); err != nil {
			s.auditDenied(ss.ctx, "gnmi.Subscribe", ss.t.echo, err)
			return err
		}
	}
	return nil
}

func (s *Server) subscribe(stream gpb.GNMI_SubscribeServer) error {
	req, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	list := req.GetSubscribe()
	if list == nil {
		return badRequest("the first SubscribeRequest must carry a SubscriptionList, not %s (there is no subscription to poll yet)", requestKind(req))
	}
	ss, err := s.newSession(stream, req)
	if err != nil {
		return err
	}
	if err := s.authorizeSession(ss); err != nil {
		return err
	}
	release, err := s.limits.acquire(s.client(stream.Context()))
	if err != nil {
		return err
	}
	defer release()
	switch list.GetMode() {
	case gpb.SubscriptionList_ONCE:
		return ss.once()
	case gpb.SubscriptionList_POLL:
		return ss.poll()
	}
	return ss.stream()
}

func requestKind(req *gpb.SubscribeRequest) string {
	switch req.GetRequest().(type) {
	case *gpb.SubscribeRequest_Poll:
		return "a Poll"
	case *gpb.SubscribeRequest_Subscribe:
		return "a SubscriptionList"
	}
	return "an empty request"
}

// subscription is one Subscription of a SubscriptionList, checked.
type subscription struct {
	path []*gpb.PathElem // canonical, from the root; may hold wildcards
	pat  pattern         // path, compiled for matching changed leaves
	// tops restricts the root's children the subscription covers (by
	// use_models); nil covers them all.
	tops map[string]bool

	mode      gpb.SubscriptionMode // ON_CHANGE or SAMPLE, once checked
	interval  time.Duration        // of SAMPLE
	suppress  bool                 // SAMPLE's suppress_redundant
	heartbeat time.Duration        // 0: none

	// last holds, for SAMPLE, what was last sent of each leaf: to suppress
	// what did not change and to notice what went away.
	last                 map[string]sentLeaf
	nextSample, nextBeat time.Time
}

type sentLeaf struct {
	path []*gpb.PathElem
	val  *gpb.TypedValue
}

// covers reports whether a leaf path is in the part of the tree the
// subscription's tops allow.
func (sub *subscription) covers(path []*gpb.PathElem) bool {
	return sub.tops == nil || len(path) == 0 || sub.tops[path[0].GetName()]
}

// newSession checks a SubscriptionList and returns the session serving it.
func (s *Server) newSession(stream gpb.GNMI_SubscribeServer, req *gpb.SubscribeRequest) (*session, error) {
	list := req.GetSubscribe()
	mode := list.GetMode()
	if _, ok := gpb.SubscriptionList_Mode_name[int32(mode)]; !ok {
		return nil, badRequest("subscription list mode %d is not STREAM, ONCE or POLL", mode)
	}
	if err := checkEncoding(list.GetEncoding()); err != nil {
		return nil, err
	}
	for _, e := range req.GetExtension() {
		if e.GetHistory() != nil {
			return nil, unsupported("the History extension: nwmo serves current values only")
		}
	}
	if len(list.GetSubscription()) == 0 {
		return nil, badRequest("the SubscriptionList has no subscription")
	}
	t, err := s.resolveTarget(stream.Context(), list.GetPrefix())
	if err != nil {
		s.auditDenied(stream.Context(), "gnmi.Subscribe", list.GetPrefix().GetTarget(), err)
		return nil, err
	}
	sel, err := newSelection(t.sc, gpb.GetRequest_ALL, list.GetUseModels())
	if err != nil {
		return nil, err
	}
	ss := &session{s: s, t: t, rpc: stream, ctx: stream.Context(), list: list,
		enc: list.GetEncoding(), updatesOnly: list.GetUpdatesOnly()}
	for _, x := range list.GetSubscription() {
		sub, err := s.checkSubscription(t, list, x)
		if err != nil {
			return nil, err
		}
		sub.tops = sel.tops
		ss.add(sub)
	}
	return ss, nil
}

// checkSubscription checks one Subscription.
func (s *Server) checkSubscription(t target, list *gpb.SubscriptionList, x *gpb.Subscription) (*subscription, error) {
	if err := checkOrigin(t, list.GetPrefix(), x.GetPath()); err != nil {
		return nil, err
	}
	elems, err := joinPath(list.GetPrefix(), x.GetPath())
	if err != nil {
		return nil, err
	}
	canon, err := checkSchema(t.sc, trimAnyLevel(elems))
	if err != nil {
		return nil, err
	}
	sub := &subscription{path: canon, pat: compilePattern(canon), mode: gpb.SubscriptionMode_ON_CHANGE}
	if list.GetMode() != gpb.SubscriptionList_STREAM {
		return sub, nil
	}
	p := tree.FormatPath(canon)
	min := s.opts.minSample
	interval, err := nanos(x.GetSampleInterval(), "sample_interval", p)
	if err != nil {
		return nil, err
	}
	if sub.heartbeat, err = nanos(x.GetHeartbeatInterval(), "heartbeat_interval", p); err != nil {
		return nil, err
	}
	if sub.heartbeat != 0 && sub.heartbeat < min {
		return nil, badRequest("subscription %s: heartbeat_interval %v is shorter than the shortest the server supports, %v", p, sub.heartbeat, min)
	}
	switch x.GetMode() {
	case gpb.SubscriptionMode_TARGET_DEFINED:
		if interval != 0 {
			return nil, badRequest("subscription %s: TARGET_DEFINED takes no sample_interval (the server chooses ON_CHANGE); use SAMPLE to choose one", p)
		}
	case gpb.SubscriptionMode_ON_CHANGE:
	case gpb.SubscriptionMode_SAMPLE:
		switch {
		case interval == 0:
			interval = min
		case interval < min:
			return nil, badRequest("subscription %s: sample_interval %v is shorter than the shortest the server supports, %v (0 asks for it)", p, interval, min)
		}
		sub.mode, sub.interval, sub.suppress = gpb.SubscriptionMode_SAMPLE, interval, x.GetSuppressRedundant()
		sub.last = map[string]sentLeaf{}
	default:
		return nil, badRequest("subscription %s: mode %d is not TARGET_DEFINED, ON_CHANGE or SAMPLE", p, x.GetMode())
	}
	if sub.mode == gpb.SubscriptionMode_ON_CHANGE && t.candidate != "" {
		return nil, badRequest("subscription %s: target %s is a candidate, whose edits are not commits: ON_CHANGE and TARGET_DEFINED cannot follow them; use SAMPLE, POLL or ONCE", p, t.name)
	}
	return sub, nil
}

// nanos converts an interval in nanoseconds.
func nanos(ns uint64, field, path string) (time.Duration, error) {
	if ns > math.MaxInt64 {
		return 0, badRequest("subscription %s: %s %d ns is too long", path, field, ns)
	}
	return time.Duration(ns), nil
}

// recvLoop reads the client's messages after the SubscriptionList: Polls
// (for a POLL subscription) go to polls; anything else, or the end of the
// stream, goes to done as the error ending the RPC (io.EOF for a client
// that closed its side of a POLL). It returns when the RPC ends.
func (ss *session) recvLoop(polls chan<- struct{}, done chan<- error) {
	poll := ss.list.GetMode() == gpb.SubscriptionList_POLL
	for {
		req, err := ss.rpc.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) && !poll {
				// A STREAM client may close its side and keep reading.
				return
			}
			done <- err
			return
		}
		switch req.GetRequest().(type) {
		case *gpb.SubscribeRequest_Poll:
			if !poll {
				done <- badRequest("a Poll on a %s subscription; only POLL subscriptions are polled", ss.list.GetMode())
				return
			}
			select {
			case polls <- struct{}{}:
			case <-ss.ctx.Done():
				return
			}
		case *gpb.SubscribeRequest_Subscribe:
			done <- badRequest("a second SubscriptionList on one Subscribe RPC; subscriptions cannot be changed, open another RPC")
			return
		default:
			done <- badRequest("an empty SubscribeRequest")
			return
		}
	}
}

// once serves a ONCE subscription.
func (ss *session) once() error {
	if !ss.updatesOnly {
		if err := ss.dump(ss.subs, nil); err != nil {
			return err
		}
	}
	return ss.sendSync()
}

// poll serves a POLL subscription: the current values at once (unless
// updates_only) and on every Poll, each time followed by sync_response.
func (ss *session) poll() error {
	polls := make(chan struct{}, 16)
	done := make(chan error, 1)
	go ss.recvLoop(polls, done)
	if !ss.updatesOnly {
		if err := ss.dump(ss.subs, nil); err != nil {
			return err
		}
	}
	if err := ss.sendSync(); err != nil {
		return err
	}
	for {
		select {
		case <-ss.ctx.Done():
			return ss.ctx.Err()
		case <-ss.s.closing:
			return errClosing
		case err := <-done:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case <-polls:
			if err := ss.dump(ss.subs, nil); err != nil {
				return err
			}
			if err := ss.sendSync(); err != nil {
				return err
			}
		}
	}
}
