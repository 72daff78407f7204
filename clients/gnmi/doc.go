// Package gnmi is nwmo's gNMI southbound adapter: it connects to an
// element with gRPC (TLS and username/password metadata as the inventory
// says), pushes changes with gNMI Set, uses the element's own confirmed
// commits (the gNMI Commit extension) where the element has them, reads
// its configuration with Get (or Subscribe ONCE where Get is not
// implemented), and streams its changes with Subscribe.
//
//	m := clients.New(clients.WithAdapter("gnmi", gnmi.Dialer()))
//
// Whether an element has confirmed commits is found when connecting: a
// Set carrying only a Commit extension confirming a commit that does not
// exist is harmless everywhere; an element that implements the extension
// answers FailedPrecondition or InvalidArgument, one that ignores it
// answers OK.
package gnmi
