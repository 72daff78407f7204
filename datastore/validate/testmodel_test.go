package validate

import (
	"strings"
	"testing"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/datastore/validate/internal/testmodel"
	"github.com/openconfig/ygot/ygot"
)

const testmodelBase = `{
 "testmodel:box": {"radius": 5, "colour": "red"},
 "testmodel:slots": {"slot": [{"id": 1, "item": {"a": "x"}}]},
 "testmodel:ports": {
  "port": [{"name": "first", "tags": ["a", "b"], "speed": 100}, {"name": "second", "tags": ["c"], "speed": "fast"}],
  "uport": [{"id": 7}, {"id": "x"}]},
 "testmodel:refs": {"to-tag": "a", "to-first": "b", "to-speed": 100, "uport-name": "7", "to-uport": 7, "many": ["first", "second"]}
}`

// TestModelConstructs checks, on a model made for it, what OpenConfig does
// not use: choices, list sizes, literal predicates, leafrefs to leaf-lists
// and unions, predicates on union keys.
func TestModelConstructs(t *testing.T) {
	s, err := tree.Compile(testmodel.Schema)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ops  []func(t *testing.T) tree.Op
		want string
	}{
		{name: "one case", ops: ops(upd, "/box/radius", uval(6))},
		{name: "two cases of a choice", ops: ops(upd, "/box/side", uval(3)), want: "/box: multiple cases [round square] selected for choice shape"},
		{name: "choice in a container of a list entry", ops: ops(upd, "/slots/slot[id=1]/item/b", sval("y")),
			want: "/slots/slot[id=1]/item: multiple cases"},
		{name: "list at max-elements", ops: ops(upd, "/slots/slot[id=2]/item/a", sval("x"))},
		{name: "list over max-elements", ops: ops(upd, "/slots/slot[id=2]/item/a", sval("x"), upd, "/slots/slot[id=3]/item/a", sval("x")),
			want: "/slots/slot: list has 3 entries, more than max-elements 2"},
		// ygot does not check the size of an empty list.
		{name: "empty list under min-elements", ops: ops(del, "/slots/slot[id=1]", nil)},
		{name: "key out of range", ops: ops(upd, "/slots/slot[id=5]/item/a", sval("x")), want: "/slots/slot[id=5]/id: "},
		{name: "length", ops: ops(upd, "/box/colour", sval("ultraviolet")), want: "/box/colour: "},
		{name: "leafref to a leaf-list element", ops: ops(upd, "/refs/to-tag", sval("c"))},
		{name: "leafref to a missing leaf-list element", ops: ops(upd, "/refs/to-tag", sval("d")), want: "/refs/to-tag: leafref: no /ports/port/tags = d"},
		{name: "remove a referenced leaf-list element", ops: ops(upd, "/ports/port[name=first]/tags", ietf(`["b"]`)),
			want: "/ports/port[name=first]/tags: still referenced by /refs/to-tag"},
		{name: "literal predicate", ops: ops(upd, "/refs/to-first", sval("a"))},
		{name: "literal predicate, other entry", ops: ops(upd, "/refs/to-first", sval("c")), want: `/refs/to-first: leafref: no /ports/port[name=first]/tags = c`},
		{name: "union leafref, same member type", ops: ops(upd, "/refs/to-speed", sval("fast"))},
		// 100 as a string is not 100 as a number: ygot compares Go values.
		{name: "union leafref, other member type", ops: ops(upd, "/refs/to-speed", sval("100")), want: "/refs/to-speed: leafref: no /ports/port/speed = 100"},
		{name: "predicate on a union key", ops: ops(upd, "/refs/uport-name", sval("x"), upd, "/refs/to-uport", sval("x"))},
		{name: "predicate on a union key, no entry", ops: ops(upd, "/refs/uport-name", sval("8")), want: "/refs/to-uport: leafref: no /ports/uport[id=8]/id = 7"},
		{name: "leaf-list of leafrefs", ops: ops(upd, "/refs/many", ietf(`["second"]`))},
		{name: "delete an entry a leaf-list refers to", ops: ops(del, "/ports/port[name=second]", nil),
			want: "/ports/port[name=second]: still referenced by /refs/many"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := s.New()
			if err := s.NewEdit(root).Apply(tree.Op{Kind: tree.Replace, Value: ietf(testmodelBase)}); err != nil {
				t.Fatal(err)
			}
			if err := root.(ygot.ValidatedGoStruct).Validate(); err != nil {
				t.Fatalf("base: %v", err)
			}
			ix, err := v.NewIndex(root)
			if err != nil {
				t.Fatal(err)
			}
			e := s.NewEdit(root)
			for _, op := range tt.ops {
				if err := e.Apply(op(t)); err != nil {
					t.Fatal(err)
				}
			}
			got, ref := ix.Check(root, e.Changes()), root.(ygot.ValidatedGoStruct).Validate()
			switch {
			case (got == nil) != (ref == nil):
				t.Errorf("Check: %v\nygot:  %v", got, ref)
			case tt.want == "" && got != nil:
				t.Errorf("Check: %v, want nil", got)
			case tt.want != "" && (got == nil || !strings.Contains(got.Error(), tt.want)):
				t.Errorf("Check: %v\nwant an error with %q", got, tt.want)
			}
			if got == nil {
				ix.Apply(e.Changes())
				fresh, err := v.NewIndex(root)
				if err != nil {
					t.Fatal(err)
				}
				if d := diffLines(dump(ix), dump(fresh)); d != "" {
					t.Errorf("index after Apply differs from NewIndex:\n%s", d)
				}
			}
		})
	}
}
