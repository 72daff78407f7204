// Package clients is nwmo's southbound: everything between the datastore
// and the network elements.
//
// The Manager keeps one connection per element of the inventory
// (/targets/target on target nwmo), reconnecting with exponential backoff;
// it pushes committed changes to the elements as one network-wide
// transaction (a two-phase commit over the elements' own confirmed
// commits, compensation where they have none); it finds drift between an
// element and running and reports or repairs it; it collects the
// elements' state into the datastore; and it publishes each element's
// connection state under /targets/target[name]/state, and its alarms
// (unreachable, out of sync) under /alarms, on target nwmo.
//
// Elements are spoken to through an Adapter, one small interface per
// protocol; clients/gnmi is the gNMI one. clients/sim simulates elements
// for demos, tests and benchmarks.
//
//	m := clients.New(clients.WithAdapter("gnmi", gnmi.Dialer()))
//	store, err := datastore.Open(datastore.DefaultOptions(dir).WithPusher(m))
//	err = m.Start(ctx, store)
//	defer m.Close() // before store.Close
//
// See docs/southbound.md for the policies and guarantees.
package clients
