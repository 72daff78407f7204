package datastore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// A confirmed commit waiting for its confirmation raises the alarm
// COMMIT_CONFIRM_PENDING/<commit id> (severity warning, resource nwmo) in
// nwmo's state; it is cleared when the commit is confirmed, cancelled or
// rolled back at its deadline.
//
// The datastore raises it, not the gNMI server: it keeps the pending
// commit and nwmo's state, and recovers a pending commit when it opens, so
// the alarm is there for every reader of nwmo's state from the moment Open
// returns, whatever serves them. It is raised by a goroutine that follows
// the history feed, not by the commit itself: every commit writes the
// feed already, so a commit (and the gate a confirmed commit holds) waits
// for nothing more, and whichever way the pending commit's header changes
// (confirmed, cancelled, rolled back by its timer, its deadline moved) the
// alarm follows it from this one place.

// ConfirmPendingAlarm is the type id of the alarm of a confirmed commit
// waiting for its confirmation.
const ConfirmPendingAlarm = "COMMIT_CONFIRM_PENDING"

// confirmAlarm is the alarm of a commit, nil unless it waits for its
// confirmation. The alarm was raised when the commit was made: its time
// stays the same across restarts and when the deadline moves.
func confirmAlarm(h Header) *Alarm {
	if h.Status != StatusPendingConfirm {
		return nil
	}
	return &Alarm{
		ID:       fmt.Sprintf("%s/%d", ConfirmPendingAlarm, h.ID),
		TypeID:   ConfirmPendingAlarm,
		Resource: ServerTarget,
		Severity: AlarmWarning,
		Text: fmt.Sprintf("confirmed commit %d (confirm id %q) on %s waits for its confirmation; it is rolled back at %s unless confirmed",
			h.ID, h.ConfirmID, strings.Join(h.Targets, ", "), time.Unix(0, h.ConfirmDeadline).UTC().Format(time.RFC3339)),
		Created: time.Unix(0, h.Time),
	}
}

// startConfirmAlarms raises the alarm of a commit recovered pending, then
// follows the history feed until Close. Open calls it once the store is
// recovered, before the confirm timer can roll anything back.
func (s *Store) startConfirmAlarms() {
	w := s.historyFeed.watch()
	raised := map[uint64]*Alarm{}
	s.resyncConfirmAlarms(raised)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.followConfirmAlarms(w, raised)
	}()
}

// followConfirmAlarms keeps the alarms in raised in line with the history
// feed until the store closes.
func (s *Store) followConfirmAlarms(w *Watcher, raised map[uint64]*Alarm) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		e, err := w.Next(ctx)
		switch {
		case errors.Is(err, ErrResync):
			s.resyncConfirmAlarms(raised)
			continue
		case err != nil:
			return
		}
		// A pending commit is never dropped from the history (see
		// retention.go): only a header's change matters.
		if hc := e.History; hc != nil && hc.Commit != nil {
			s.updateConfirmAlarm(raised, *hc.Commit)
		}
	}
}

// resyncConfirmAlarms brings raised in line with the whole history.
func (s *Store) resyncConfirmAlarms(raised map[uint64]*Alarm) {
	pending := map[uint64]bool{}
	for _, h := range s.History(HistoryFilter{}) {
		if h.Status == StatusPendingConfirm {
			pending[h.ID] = true
			s.updateConfirmAlarm(raised, h)
		}
	}
	for id := range raised {
		if !pending[id] {
			s.updateConfirmAlarm(raised, Header{ID: id})
		}
	}
}

// updateConfirmAlarm publishes what changed in the alarm of commit h, and
// records it in raised.
func (s *Store) updateConfirmAlarm(raised map[uint64]*Alarm, h Header) {
	was, now := raised[h.ID], confirmAlarm(h)
	n := &gpb.Notification{Timestamp: s.opts.Now().UnixNano(), Prefix: &gpb.Path{Target: ServerTarget}}
	AddAlarmChange(n, was, now)
	if len(n.Update)+len(n.Delete) == 0 {
		return
	}
	if err := s.UpdateState(n); err != nil {
		if !errors.Is(err, ErrClosed) {
			s.log.Error("publishing the alarm of a confirmed commit", "commit", h.ID, "err", err)
		}
		return
	}
	if now == nil {
		delete(raised, h.ID)
	} else {
		raised[h.ID] = now
	}
}
