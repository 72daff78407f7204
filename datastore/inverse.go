package datastore

import (
	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/nwmo/nwmo/datastore/tree"
)

// opsBuilder gathers, leaf by leaf, the first value a sequence of change
// notifications gives, and turns them into operations.
type opsBuilder struct {
	n gpb.Notification
}

// addFirst adds the leaves of n that seen does not hold yet.
func (b *opsBuilder) addFirst(seen map[string]bool, n *gpb.Notification) {
	for _, p := range n.GetDelete() {
		if k := tree.FormatPath(p.GetElem()); !seen[k] {
			seen[k] = true
			b.n.Delete = append(b.n.Delete, p)
		}
	}
	for _, u := range n.GetUpdate() {
		if k := tree.FormatPath(u.GetPath().GetElem()); !seen[k] {
			seen[k] = true
			b.n.Update = append(b.n.Update, u)
		}
	}
}

func (b *opsBuilder) ops(s *tree.Schema) []tree.Op { return notificationOps(s, &b.n) }
