package clients

import (
	"errors"
	"fmt"
	"sort"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore"
)

// The southbound raises two alarms per element under /alarms on target
// nwmo, with ids TYPE/element:
//
//   - ELEMENT_UNREACHABLE (major): a managed element is not connected
//     after a failed attempt, or its connection dropped with an error.
//     Cleared when it connects, leaves the inventory or its adapter
//     becomes none.
//   - ELEMENT_OUT_OF_SYNC (minor): a connected element's configuration is
//     known to differ from running: drift was found, or running, an undo
//     or a confirm could not be pushed to it. Cleared when it is back in
//     sync, disconnects (it is compared again on its next connection) or
//     leaves the inventory. An element not compared yet raises nothing.
//
// They are published with the element's state leaves, by the same
// publisher and in the same notification, so that a reader never sees an
// alarm disagree with connected or in-sync. An alarm keeps the time it was
// raised while it stays raised, whatever its text becomes.

// The type ids of the element alarms.
const (
	UnreachableAlarm = "ELEMENT_UNREACHABLE"
	OutOfSyncAlarm   = "ELEMENT_OUT_OF_SYNC"
)

var alarmSeverity = map[string]datastore.AlarmSeverity{
	UnreachableAlarm: datastore.AlarmMajor,
	OutOfSyncAlarm:   datastore.AlarmMinor,
}

// raiseLocked raises the alarm typ, or rewords it when it is raised
// already. The caller holds e.mu and publishes.
func (e *element) raiseLocked(typ, text string) {
	a, ok := e.alarms[typ]
	if !ok {
		a = datastore.Alarm{ID: typ + "/" + e.name, TypeID: typ, Resource: e.name, Severity: alarmSeverity[typ], Created: time.Now()}
	}
	a.Text = text
	if e.alarms == nil {
		e.alarms = map[string]datastore.Alarm{}
	}
	e.alarms[typ] = a
}

// clearLocked clears the alarm typ. The caller holds e.mu and publishes.
func (e *element) clearLocked(typ string) { delete(e.alarms, typ) }

// unreachableLocked raises ELEMENT_UNREACHABLE for a managed element that
// could not be reached at addr. The caller holds e.mu and publishes.
func (e *element) unreachableLocked(addr string, err error) {
	if e.cfg.adapter == adapterNone {
		// Its connection loop is stopping: nothing is expected of it.
		return
	}
	if addr == "" {
		addr = "no address"
	}
	e.raiseLocked(UnreachableAlarm, fmt.Sprintf("element %s (%s) is unreachable: %s", e.name, addr, describe(err)))
}

// outOfSyncLocked raises ELEMENT_OUT_OF_SYNC with text when the element is
// connected: a disconnected one is compared again when it connects. The
// caller holds e.mu and publishes.
func (e *element) outOfSyncLocked(text string) {
	if e.status.Connected {
		e.raiseLocked(OutOfSyncAlarm, "element "+e.name+" "+text)
	}
}

// describe is an error as an alarm's text gives it: an element's error
// without the element's name, which the text has already.
func describe(err error) string {
	var ee *ElementError
	if errors.As(err, &ee) {
		return ee.Op + ": " + status.Convert(ee.Err).Message()
	}
	return err.Error()
}

// paths is "1 path" or "N paths".
func paths(n int) string {
	if n == 1 {
		return "1 path"
	}
	return fmt.Sprintf("%d paths", n)
}

// alarmChangesLocked appends to n what changed in the element's alarms
// since they were last published (all of them are cleared once it left
// the inventory), and returns the alarms as n leaves them.
func (e *element) alarmChangesLocked(n *gpb.Notification) map[string]datastore.Alarm {
	now := e.alarms
	if e.removed {
		now = nil
	}
	types := make([]string, 0, len(now)+len(e.publishedAlarms))
	for typ := range e.publishedAlarms {
		types = append(types, typ)
	}
	for typ := range now {
		if _, ok := e.publishedAlarms[typ]; !ok {
			types = append(types, typ)
		}
	}
	sort.Strings(types)
	out := make(map[string]datastore.Alarm, len(now))
	for _, typ := range types {
		var was, is *datastore.Alarm
		if a, ok := e.publishedAlarms[typ]; ok {
			was = &a
		}
		if a, ok := now[typ]; ok {
			is = &a
			out[typ] = a
		}
		datastore.AddAlarmChange(n, was, is)
	}
	return out
}
