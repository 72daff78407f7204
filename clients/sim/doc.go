// Package sim simulates network elements: many gNMI targets in one
// process, each with its own configuration and operational state, for
// demos, tests and benchmarks. nwmo-sim serves them as a command and
// nwmod --sim N runs them in-process.
//
// Each element behaves like a device: it serves Capabilities, Get, Set and
// Subscribe (ONCE, POLL, STREAM with ON_CHANGE or SAMPLE) on its own
// address, validates every Set against the OpenConfig schema, honours the
// gNMI Commit extension (commit with a rollback duration, confirm, cancel,
// set-rollback-duration) with its own pending commit, mirrors applied
// configuration into the matching state leaves (config/mtu → state/mtu),
// and changes its state on its own (counters grow, oper-status flaps).
// It answers requests whose target is its own name or empty.
//
// Elements are plain trees in memory (datastore/tree), validated with
// datastore/validate: ten thousand of them fit in one process.
//
//	f, err := sim.Start("127.0.0.1:0", 5, sim.WithReject("sim-3"))
//	defer f.Close()
//	e := f.Element("sim-0")
//	addr := e.Addr()
//	e.Down()                 // unreachable until Up
//	e.RejectNext(2)          // the next two Sets fail
//	e.CrashNext(time.Second) // the next Set is applied, then the element dies and restarts
//
// Faults can also be injected at run time over HTTP (see Handler), which
// is what nwmo-sim --control serves.
package sim
