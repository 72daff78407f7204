// Package server is nwmo's northbound: the gNMI service (Capabilities, Get,
// Set, Subscribe) over the datastore, and the admin service for what gNMI
// cannot say. It parses and authorizes requests, hands them to the
// datastore, and turns errors into gRPC status exactly once, at the RPC
// boundary.
//
//	srv := server.New(server.WithLogger(logger))
//	g := grpc.NewServer(server.GRPCOptions()...)
//	srv.Register(g)
package server
