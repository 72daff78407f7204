package validate

import (
	"testing"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/gen/nwmomodel"
	"github.com/nwmo/nwmo/gen/oc"
)

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
		classes, broken := 0, 0
		for _, l := range v.leaves {
			if l.source != nil {
				classes++
				if l.source.broken != nil {
					broken++
					t.Logf("%s: broken %s -> %s: %v", name, l.source.source, l.source.path, l.source.broken)
				}
			}
		}
		t.Logf("%s: %d leaves, %d leafrefs (%d broken), %d target sets", name, len(v.leaves), classes, broken, len(v.sets))
	}
}
