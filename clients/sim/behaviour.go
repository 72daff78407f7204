package sim

import (
	"sort"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/oc"
)

// flapEvery is how many state ticks pass between two oper-status flaps of
// an element; elements flap at different ticks.
const flapEvery = 6

// tick changes an element's state as time passes: every enabled
// interface's counters grow, and every flapEvery ticks one interface goes
// oper-status DOWN for a tick. idx spreads the elements' flaps and
// traffic apart.
func (e *Element) tick(tick, idx int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lis == nil {
		return
	}
	var ifs map[string]*oc.OpenconfigInterfaces_Interfaces_Interface
	if d := e.root.(*oc.Device); d.Interfaces != nil {
		ifs = d.Interfaces.Interface
	}
	if len(ifs) == 0 {
		return
	}
	names := make([]string, 0, len(ifs))
	for n := range ifs {
		names = append(names, n)
	}
	sort.Strings(names)
	flap := -1
	phase := (tick + idx) % flapEvery
	if phase == 0 {
		flap = (tick / flapEvery) % len(names)
	}
	var ops []tree.Op
	for i, name := range names {
		ifc := ifs[name]
		if !ifc.GetConfig().GetEnabled() && ifc.GetConfig().Enabled != nil {
			continue
		}
		entry := []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": name}}}
		c := ifc.GetState().GetCounters()
		pkts := uint64(10 + (idx+i)%90)
		ops = append(ops,
			update(appendPath(entry, "state", "counters", "in-pkts"), uintVal(c.GetInPkts()+pkts)),
			update(appendPath(entry, "state", "counters", "out-pkts"), uintVal(c.GetOutPkts()+pkts)),
			update(appendPath(entry, "state", "counters", "in-octets"), uintVal(c.GetInOctets()+pkts*512)),
			update(appendPath(entry, "state", "counters", "out-octets"), uintVal(c.GetOutOctets()+pkts*512)),
		)
		switch {
		case i == flap:
			ops = append(ops, update(appendPath(entry, "state", "oper-status"), stringVal("DOWN")))
		case phase == 1 && i == ((tick-1)/flapEvery)%len(names):
			ops = append(ops, update(appendPath(entry, "state", "oper-status"), stringVal("UP")))
		}
	}
	if _, err := e.edit(ops, false); err != nil {
		e.f.log.Debug("sim: state change", "element", e.name, "err", err)
	}
}

func uintVal(v uint64) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: v}}
}
