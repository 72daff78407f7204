package validate

import (
	"strings"
	"testing"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/nwmomodel"
	"github.com/nwmo/nwmo/gen/oc"
)

// TestNewCompilesModels compiles nwmo's two model sets: every leafref must
// be one this package mirrors ygot on, and the only ones ygot cannot parse
// are the two ACL state leafrefs with two predicates on one step.
func TestNewCompilesModels(t *testing.T) {
	for name, sf := range map[string]tree.SchemaFunc{"oc": oc.Schema, "nwmomodel": nwmomodel.Schema} {
		s, err := tree.Compile(sf)
		if err != nil {
			t.Fatal(err)
		}
		v, err := New(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		classes := 0
		var broken []string
		for _, l := range v.leaves {
			if l.source != nil {
				classes++
				if l.source.broken != nil {
					broken = append(broken, l.schema)
				}
			}
		}
		for _, b := range broken {
			if !strings.HasPrefix(b, "/acl/interfaces/interface/") || !strings.HasSuffix(b, "/acl-entries/acl-entry/state/sequence-id") {
				t.Errorf("%s: unexpected broken leafref %s", name, b)
			}
		}
		t.Logf("%s: %d leaves, %d leafrefs (%d that ygot cannot parse), %d target sets", name, len(v.leaves), classes, len(broken), len(v.sets))
	}
}
