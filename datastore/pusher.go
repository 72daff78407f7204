package datastore

import (
	"context"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// Pusher applies committed changes to the elements. The datastore defines
// it and the southbound (package clients) implements it, so that neither
// imports the other.
type Pusher interface {
	// Manages reports whether commits on element must be pushed to it
	// before they are acknowledged.
	Manages(element string) bool
	// Push applies the change of one commit on every element it names, all
	// or none: when it returns an error, every element must be as it was.
	// The error should name the failing element.
	Push(ctx context.Context, c *Commit) error
}

// Commit is what a Pusher is asked to apply: for each element, the
// operations of the transaction in the order gNMI applies them, and the
// exact leaf-level change they made to running.
type Commit struct {
	ID       uint64
	User     string
	Elements []ElementChange
}

// ElementChange is one element's part of a commit.
type ElementChange struct {
	Element string
	// Ops are the minimal operations that bring the element from its old
	// running configuration to the new one.
	Ops *gpb.SetRequest
	// Change is the leaf-level change: updated leaves with their new
	// values, and deleted leaves.
	Change *gpb.Notification
}

type noPusher struct{}

func (noPusher) Manages(string) bool                 { return false }
func (noPusher) Push(context.Context, *Commit) error { return nil }
