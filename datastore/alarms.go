package datastore

import (
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

// nwmo's active alarms live in its state tree, under /alarms/alarm[id] on
// target nwmo, where Get and Subscribe find them as any other state. Two
// parts of nwmod raise them: the southbound for its elements (package
// clients), and the datastore for a confirmed commit waiting for its
// confirmation (confirmalarm.go). Both write them with AddAlarmChange, so
// that the leaves are spelled one way and only what changed is published.

// AlarmSeverity is how bad an alarm is, as nwmo.yang's alarm-severity
// names it.
type AlarmSeverity string

// The severities of an alarm.
const (
	AlarmCritical AlarmSeverity = "critical"
	AlarmMajor    AlarmSeverity = "major"
	AlarmMinor    AlarmSeverity = "minor"
	AlarmWarning  AlarmSeverity = "warning"
)

// Alarm is one active alarm.
type Alarm struct {
	// ID is unique among the active alarms, e.g. ELEMENT_UNREACHABLE/r1.
	ID string
	// TypeID names the kind of alarm, e.g. ELEMENT_UNREACHABLE.
	TypeID string
	// Resource is what the alarm is about: an element's name, or nwmo.
	Resource string
	Severity AlarmSeverity
	Text     string
	// Created is when the alarm was raised; it stays the same while the
	// alarm stays raised, whatever its text becomes.
	Created time.Time
}

// alarmLeaf is one leaf of an alarm's state container.
type alarmLeaf struct {
	name string
	val  *gpb.TypedValue
}

func (a *Alarm) leaves() []alarmLeaf {
	str := func(v string) *gpb.TypedValue { return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: v}} }
	return []alarmLeaf{
		{"id", str(a.ID)},
		{"resource", str(a.Resource)},
		{"severity", str(string(a.Severity))},
		{"type-id", str(a.TypeID)},
		{"text", str(a.Text)},
		{"time-created", &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: uint64(a.Created.UnixNano())}}},
	}
}

// AddAlarmChange appends to n, a notification for target nwmo without a
// prefix path, what turns alarm was into alarm now (one alarm, one id): the
// leaves of now that differ from was's, or, when now is nil, the delete of
// was's entry. Either may be nil.
func AddAlarmChange(n *gpb.Notification, was, now *Alarm) {
	switch {
	case now == nil && was == nil:
		return
	case now == nil:
		n.Delete = append(n.Delete, &gpb.Path{Elem: alarmPath(was.ID)})
		return
	}
	old := map[string]*gpb.TypedValue{}
	if was != nil && was.ID == now.ID {
		for _, l := range was.leaves() {
			old[l.name] = l.val
		}
	}
	state := append(alarmPath(now.ID), &gpb.PathElem{Name: "state"})
	for _, l := range now.leaves() {
		if proto.Equal(old[l.name], l.val) {
			continue
		}
		n.Update = append(n.Update, &gpb.Update{Path: &gpb.Path{Elem: append(state[:len(state):len(state)], &gpb.PathElem{Name: l.name})}, Val: l.val})
	}
}

// alarmPath is /alarms/alarm[id=ID] in nwmo's model.
func alarmPath(id string) []*gpb.PathElem {
	return []*gpb.PathElem{{Name: "alarms"}, {Name: "alarm", Key: map[string]string{"id": id}}}
}
