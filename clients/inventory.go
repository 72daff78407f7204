package clients

import (
	"errors"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/nwmomodel"
)

// config is an element's entry in the inventory, defaults applied.
type config struct {
	target      Target
	adapter     string // gnmi, or none for an element only provisioned
	initialSync string // push, adopt or report
	drift       string // report or repair
	onRemove    string // keep or delete
}

// The inventory's defaults, as nwmo.yang gives them.
const (
	defaultTimeout = 10 * time.Second
	adapterNone    = "none"
)

func inventoryOf(root *nwmomodel.Root) map[string]config {
	inv := map[string]config{}
	if root.Targets == nil {
		return inv
	}
	for name, t := range root.Targets.Target {
		c := t.GetConfig()
		cfg := config{
			target: Target{
				Name:               name,
				Address:            c.GetAddress(),
				Username:           c.GetUsername(),
				Password:           c.GetPassword(),
				TLS:                c.GetTls(),
				InsecureSkipVerify: c.GetTlsInsecureSkipVerify(),
				Timeout:            defaultTimeout,
			},
			adapter:     "gnmi",
			initialSync: "adopt",
			drift:       "report",
			onRemove:    "keep",
		}
		if c.Timeout != nil {
			cfg.target.Timeout = time.Duration(*c.Timeout) * time.Millisecond
		}
		if c.Adapter != nwmomodel.Nwmo_AdapterType_UNSET {
			cfg.adapter = c.Adapter.String()
		}
		if c.InitialSync != nwmomodel.Nwmo_InitialSyncPolicy_UNSET {
			cfg.initialSync = c.InitialSync.String()
		}
		if c.Drift != nwmomodel.Nwmo_DriftPolicy_UNSET {
			cfg.drift = c.Drift.String()
		}
		if c.OnRemove != nwmomodel.Nwmo_RemovePolicy_UNSET {
			cfg.onRemove = c.OnRemove.String()
		}
		inv[name] = cfg
	}
	return inv
}

// readInventory reads the inventory from nwmo's running configuration and
// brings the connections in line with it.
func (m *Manager) readInventory() error {
	var inv map[string]config
	err := m.store.View(datastore.ServerTarget, func(root ygot.GoStruct, _ *tree.Schema) error {
		inv = inventoryOf(root.(*nwmomodel.Root))
		return nil
	})
	if err != nil {
		return err
	}
	m.applyInventory(inv)
	return nil
}

// applyInventory connects to new elements, reconnects to those whose
// connection settings changed, and disconnects from removed ones.
func (m *Manager) applyInventory(inv map[string]config) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	var removed, added, changed []*element
	for name, e := range m.elements {
		if _, ok := inv[name]; !ok {
			delete(m.elements, name)
			removed = append(removed, e)
		}
	}
	for name, c := range inv {
		if e := m.elements[name]; e != nil {
			if e.reconfigure(c) {
				changed = append(changed, e)
			}
			continue
		}
		e := newElement(m, name, c)
		m.elements[name] = e
		added = append(added, e)
	}
	close(m.inventory)
	m.inventory = make(chan struct{})
	m.mu.Unlock()

	for _, e := range added {
		m.log.Info("element added to the inventory", "element", e.name, "address", e.cfg.target.Address, "adapter", e.cfg.adapter)
		e.start()
	}
	for _, e := range changed {
		e.restart()
	}
	for _, e := range removed {
		m.remove(e)
	}
}

// remove disconnects from an element that left the inventory and drops
// the state published for it. Its running configuration is the
// datastore's.
func (m *Manager) remove(e *element) {
	e.stop()
	m.log.Info("element removed from the inventory", "element", e.name, "on-remove", e.cfg.onRemove)
	e.mu.Lock()
	defer e.mu.Unlock()
	// The publisher deletes its entry, in order with what it published.
	e.removed = true
	e.publishLocked()
}

// follow keeps the connections in line with the inventory as commits on
// nwmo change it, until Close.
func (m *Manager) follow(w *datastore.Watcher) {
	defer m.wg.Done()
	for {
		ev, err := w.Next(m.ctx)
		switch {
		case errors.Is(err, datastore.ErrResync):
			// Events were missed: the inventory is read whole anyway.
		case err != nil:
			return
		case !touchesInventory(ev):
			continue
		}
		if err := m.readInventory(); err != nil && !errors.Is(err, datastore.ErrClosed) {
			m.log.Error("reading the inventory", "err", err)
		}
	}
}

func touchesInventory(ev *datastore.Event) bool {
	for _, tc := range ev.Changes {
		if tc.Target != datastore.ServerTarget {
			continue
		}
		for _, u := range tc.New.GetUpdate() {
			if first(u.GetPath()) == "targets" {
				return true
			}
		}
		for _, d := range tc.New.GetDelete() {
			if first(d) == "targets" {
				return true
			}
		}
	}
	return false
}

func first(p *gpb.Path) string {
	if len(p.GetElem()) == 0 {
		return ""
	}
	return p.GetElem()[0].GetName()
}

// targetPath is /targets/target[name=NAME] in nwmo's model.
func targetPath(name string) []*gpb.PathElem {
	return []*gpb.PathElem{{Name: "targets"}, {Name: "target", Key: map[string]string{"name": name}}}
}
