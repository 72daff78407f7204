// Package datastore is nwmo's durable configuration store: the running
// configuration of every managed element and of nwmo itself (target
// "nwmo"), named candidates, atomic validated transactions over one target
// or many, the commit log with history and rollback, confirmed commits (and
// the alarm of one pending), and the watch feed that subscribers and the
// southbound read.
//
// Reads are served from memory: each target's running configuration is a
// ygot-generated tree. A commit writes its exact change (never the whole
// tree) to nwmo's own write-ahead log (package wal), synced once for
// every commit waiting at that moment, and Badger, on real files, gets it
// a few milliseconds later: Badger is the recovery source, the log brings
// it up to date at start-up, and per-target snapshots bound the work of a
// restart.
//
//	s, err := datastore.Open(datastore.DefaultOptions(dir))
//	res, err := s.Set(ctx, datastore.Request{Target: "sim-0", User: "alice", Ops: ops})
//	err = s.View("sim-0", func(root ygot.GoStruct, sc *tree.Schema) error { ... })
//
// A commit goes: apply to the live tree under the target's lock (undo log
// kept), validate incrementally, write the record (prepared, if an element
// must be pushed), push through the Pusher (all or none), write the
// outcome, publish on the feed in commit order, and only then acknowledge.
// See docs/datastore.md for the record layout and the recovery rules.
package datastore
