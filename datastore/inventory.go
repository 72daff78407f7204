package datastore

import (
	"context"
	"fmt"
	"reflect"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/nwmomodel"
)

// removedForDeletion returns the elements that a change to nwmo's
// configuration took out of the inventory while their on-remove policy
// was "delete".
func removedForDeletion(changes []tree.LeafChange) []string {
	gone := map[string]bool{}
	policy := map[string]bool{}
	for _, c := range changes {
		p := c.Path
		if len(p) < 3 || p[0].GetName() != "targets" || p[1].GetName() != "target" || c.New.IsValid() {
			continue
		}
		name := p[1].GetKey()["name"]
		switch {
		case len(p) == 3 && p[2].GetName() == "name":
			gone[name] = true
		case len(p) == 4 && p[2].GetName() == "config" && p[3].GetName() == "on-remove":
			policy[name] = c.Old.IsValid() && reflect.DeepEqual(c.Old.Interface(), nwmomodel.Nwmo_RemovePolicy_delete)
		}
	}
	var out []string
	for name := range gone {
		if policy[name] {
			out = append(out, name)
		}
	}
	return out
}

// lookupRemoved returns the tree of an element that is no longer in the
// inventory.
func (s *Store) lookupRemoved(name string) (*target, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t, ok := s.targets[name]; ok && !s.inInventory[name] {
		return t, nil
	}
	return nil, fmt.Errorf("%w: no configuration of removed element %q", ErrNotFound, name)
}

// deleteRemoved deletes the running configuration of elements removed
// from the inventory with on-remove "delete", each as a commit of its own
// that is never pushed: the element is no longer managed, and its own
// configuration is left alone.
func (s *Store) deleteRemoved(ctx context.Context, user string, names []string) {
	for _, name := range names {
		_, err := s.commit(ctx, commitSpec{
			user: user, removed: true,
			message: fmt.Sprintf("element %s removed from the inventory: its configuration is deleted (on-remove delete)", name),
			parts:   map[string][]tree.Op{name: {{Kind: tree.Delete}}},
		})
		if err != nil {
			s.log.Warn("deleting the configuration of a removed element; it is kept", "element", name, "err", err)
		}
	}
}
