// Package server is nwmo's northbound: the gNMI service (Capabilities, Get,
// Set, Subscribe) over the datastore. It parses and checks requests, hands
// them to the datastore, and turns errors into gRPC status exactly once, at
// the RPC boundary (errors.go). docs/gnmi.md is the user's account of what
// it does.
//
//	store, _ := datastore.Open(datastore.DefaultOptions(dir))
//	srv := server.New(store, server.WithLogger(logger))
//	g := grpc.NewServer(srv.GRPCOptions()...)
//	srv.Register(g)
//	go g.Serve(lis)
//	...
//	srv.Close() // ends the subscriptions
//	g.GracefulStop()
//	store.Close()
//
// Reads (Get, subscription snapshots) see a target as one tree: running or
// a candidate's view, overlaid with the target's operational state (read.go).
// Subscriptions are fed by one reader of the datastore's feeds, the hub,
// which hands each change to every interested subscription; each STREAM
// subscription matches and queues leaves in a bounded coalescing queue
// (package coalesce) on its own goroutine, so that a slow subscriber never
// holds up a commit nor grows memory without bound.
package server
