package main

import (
	"context"
	"fmt"
	"log/slog"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/clients"
	"github.com/nwmo/nwmo/clients/gnmi"
	"github.com/nwmo/nwmo/clients/sim"
	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

// southbound is nwmod's side towards the elements: the connection
// manager, which the datastore pushes commits through, and the simulated
// elements of --sim.
type southbound struct {
	manager *clients.Manager
	sims    *sim.Fleet
	log     *slog.Logger
}

// newSouthbound makes the manager (the datastore's Pusher, so it exists
// before the store) and starts n simulated elements on free loopback
// ports.
func newSouthbound(n int, log *slog.Logger) (*southbound, error) {
	sb := &southbound{
		manager: clients.New(clients.WithLogger(log), clients.WithAdapter("gnmi", gnmi.Dialer())),
		log:     log,
	}
	if n > 0 {
		f, err := sim.Start("127.0.0.1:0", n, sim.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("--sim: %w", err)
		}
		sb.sims = f
	}
	return sb, nil
}

// start puts the simulated elements in the inventory (their ports change
// with every run) and starts following the inventory of store.
func (sb *southbound) start(ctx context.Context, store *datastore.Store) error {
	if sb.sims != nil {
		var ops []tree.Op
		for _, e := range sb.sims.Elements() {
			for leaf, v := range map[string]string{"name": e.Name(), "address": e.Addr(), "adapter": "gnmi"} {
				ops = append(ops, tree.Op{Kind: tree.Update,
					Path:  []*gpb.PathElem{{Name: "targets"}, {Name: "target", Key: map[string]string{"name": e.Name()}}, {Name: "config"}, {Name: leaf}},
					Value: &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: v}}})
			}
			sb.log.Info("simulated element", "name", e.Name(), "addr", e.Addr())
		}
		if _, err := store.Set(ctx, datastore.Request{Target: datastore.ServerTarget, User: "nwmod",
			Message: "simulated elements of --sim", Ops: ops}); err != nil {
			return fmt.Errorf("--sim: putting the simulated elements in the inventory: %w", err)
		}
	}
	return sb.manager.Start(ctx, store)
}

// close disconnects from the elements, then stops the simulated ones. It
// runs before the store closes.
func (sb *southbound) close() {
	sb.manager.Close()
	if sb.sims != nil {
		sb.sims.Close()
	}
}
