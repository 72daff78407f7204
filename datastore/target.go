package datastore

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/validate"
	"github.com/nwmo/nwmo/gen/nwmomodel"
)

// target is the running configuration of one element, or of nwmo itself.
type target struct {
	name  string
	model *Model

	// wmu admits one writer at a time; it is held from applying a change
	// until its outcome is decided.
	wmu sync.Mutex
	// mu guards root, index and version against readers while a writer
	// edits the tree in place.
	mu      sync.RWMutex
	root    ygot.GoStruct
	index   *validate.Index
	version uint64 // id of the last commit applied

	// Snapshot bookkeeping, guarded by mu.
	snapVersion  uint64
	sinceSnap    int
	snapshotting bool
}

func newTarget(name string, m *Model) (*target, error) {
	root := m.Schema.New()
	ix, err := m.Validator.NewIndex(root)
	if err != nil {
		return nil, err
	}
	return &target{name: name, model: m, root: root, index: ix}, nil
}

// splitTarget splits ELEMENT@CANDIDATE; an empty target means nwmo.
func splitTarget(name string) (element, candidate string) {
	if name == "" {
		return ServerTarget, ""
	}
	if i := strings.IndexByte(name, '@'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return name, ""
}

// inventory returns the names of the elements in nwmo's inventory. The
// caller holds the nwmo target's lock.
func inventory(own ygot.GoStruct) []string {
	root := own.(*nwmomodel.Root)
	if root.Targets == nil {
		return nil
	}
	names := make([]string, 0, len(root.Targets.Target))
	for n := range root.Targets.Target {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// lookup returns the target of an element or nwmo, creating the tree of
// an element that is in the inventory but has none yet.
func (s *Store) lookup(name string) (*target, error) {
	s.mu.RLock()
	t, ok := s.targets[name]
	inInv := s.inInventory[name]
	s.mu.RUnlock()
	if ok && (inInv || name == ServerTarget) {
		return t, nil
	}
	if !inInv {
		return nil, s.unknownTarget(name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.targets[name]; ok {
		return t, nil
	}
	t, err := newTarget(name, s.device)
	if err != nil {
		return nil, err
	}
	s.targets[name] = t
	return t, nil
}

func (s *Store) unknownTarget(name string) error {
	return fmt.Errorf("%w: target %q is not managed; known targets: %s", ErrNotFound, name, strings.Join(s.Targets(), ", "))
}

// Managed returns nil when name is nwmo or an element of the inventory,
// and otherwise an ErrNotFound naming the targets there are.
func (s *Store) Managed(name string) error {
	s.mu.RLock()
	ok := name == ServerTarget || s.inInventory[name]
	s.mu.RUnlock()
	if ok {
		return nil
	}
	return s.unknownTarget(name)
}

// Targets returns nwmo and the elements of the inventory, sorted.
func (s *Store) Targets() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := []string{ServerTarget}
	for n := range s.inInventory {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// refreshInventory recomputes the set of managed elements after a commit
// on nwmo. The caller holds the nwmo target's read or write lock.
func (s *Store) refreshInventory(own ygot.GoStruct) {
	inv := map[string]bool{}
	for _, n := range inventory(own) {
		inv[n] = true
	}
	s.mu.Lock()
	s.inInventory = inv
	s.mu.Unlock()
}
