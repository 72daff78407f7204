// Package e2e holds nwmo's end-to-end tests: they build the real binaries
// (nwmod and any other command under cmd/), start them as processes on
// loopback ports, and talk to them over gNMI with the real gnmic CLI and with
// a Go gNMI client, exactly as an operator would.
//
// Run them with
//
//	NWMO_GNMIC=$PWD/bin/gnmic go test -race -count=1 ./e2e/
//
// or through `make test`. NWMO_GNMIC names the gnmic binary; without it the
// tests use bin/gnmic of the repository and build it there (from the pinned
// module in e2e/tools) when it is missing, which takes a few minutes the
// first time. When the tests run with -race, the binaries under test are
// built with -race too, and a data race reported by nwmod fails the test
// that ran it.
//
// The harness (harness_test.go) is meant to be reused by every e2e test:
//
//	n := startNwmod(t)                       // nwmod on 127.0.0.1:<free port>, fresh data dir
//	out := mustGnmic(t, n.Addr(), "get", "--path", "/system")
//	resp, err := n.Client(t).Capabilities(rpcCtx(t), &gpb.CapabilityRequest{})
//	n.Restart(t)                             // same data dir, new port: use n.Addr() again
//	n.WaitLogMsg(t, "some log message")      // nwmod logs JSON; every line is kept
//
// Every nwmod started by the harness is stopped with SIGTERM when its test
// ends, and the test fails if nwmod then does not exit 0, or if it exited
// earlier on its own.
package e2e
