package tree

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/gen/oc"
)

func compileOC(t testing.TB) *Schema {
	t.Helper()
	s, err := Compile(oc.Schema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func p(t testing.TB, s string) []*gpb.PathElem {
	t.Helper()
	gp, err := ygot.StringToStructuredPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return gp.GetElem()
}

func ietf(s string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(s)}}
}

func uval(v uint64) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: v}}
}

func sval(v string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: v}}
}

// changeList renders changes as "path old->new" lines, sorted.
func changeList(t testing.TB, cs []LeafChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, FormatPath(c.Path)+" "+show(t, c.Field, c.Old)+"->"+show(t, c.Field, c.New))
	}
	sort.Strings(out)
	return out
}

func show(t testing.TB, f *Field, v reflect.Value) string {
	if !v.IsValid() {
		return "_"
	}
	j, err := f.JSONValue(v, false)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(j)
}

func TestEditChanges(t *testing.T) {
	s := compileOC(t)
	base := []Op{{Kind: Update, Path: p(t, "/interfaces"), Value: ietf(`{"interface":[
		{"name":"eth0","config":{"name":"eth0","mtu":1500,"description":"a"}},
		{"name":"eth1","config":{"name":"eth1","mtu":1500}}]}`)}}
	tests := []struct {
		name string
		ops  []Op
		want []string
	}{
		{name: "leaf update", ops: []Op{{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/config/mtu"), Value: uval(9000)}},
			want: []string{"/interfaces/interface[name=eth0]/config/mtu 1500->9000"}},
		{name: "same value is no change", ops: []Op{{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/config/mtu"), Value: uval(1500)}}},
		{name: "set and set back", ops: []Op{
			{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/config/mtu"), Value: uval(1)},
			{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/config/mtu"), Value: uval(1500)}}},
		{name: "new entry records its keys and config/name", ops: []Op{{Kind: Update, Path: p(t, "/interfaces/interface[name=eth2]/config/mtu"), Value: uval(1400)}},
			want: []string{
				"/interfaces/interface[name=eth2]/config/mtu _->1400",
				"/interfaces/interface[name=eth2]/config/name _->eth2",
				"/interfaces/interface[name=eth2]/name _->eth2",
			}},
		{name: "replaced entry gets config/name", ops: []Op{{Kind: Replace, Path: p(t, "/interfaces/interface[name=eth3]"), Value: ietf(`{"config":{"mtu":1400}}`)}},
			want: []string{
				"/interfaces/interface[name=eth3]/config/mtu _->1400",
				"/interfaces/interface[name=eth3]/config/name _->eth3",
				"/interfaces/interface[name=eth3]/name _->eth3",
			}},
		{name: "replace drops unmentioned leaves", ops: []Op{{Kind: Replace, Path: p(t, "/interfaces/interface[name=eth0]/config"), Value: ietf(`{"name":"eth0","mtu":1400}`)}},
			want: []string{
				"/interfaces/interface[name=eth0]/config/description a->_",
				"/interfaces/interface[name=eth0]/config/mtu 1500->1400",
			}},
		{name: "merge keeps unmentioned leaves", ops: []Op{{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/config"), Value: ietf(`{"enabled":false}`)}},
			want: []string{"/interfaces/interface[name=eth0]/config/enabled _->false"}},
		{name: "delete entry", ops: []Op{{Kind: Delete, Path: p(t, "/interfaces/interface[name=eth1]")}},
			want: []string{
				"/interfaces/interface[name=eth1]/config/mtu 1500->_",
				"/interfaces/interface[name=eth1]/config/name eth1->_",
				"/interfaces/interface[name=eth1]/name eth1->_",
			}},
		{name: "wildcard delete", ops: []Op{{Kind: Delete, Path: p(t, "/interfaces/interface[name=*]/config/mtu")}},
			want: []string{
				"/interfaces/interface[name=eth0]/config/mtu 1500->_",
				"/interfaces/interface[name=eth1]/config/mtu 1500->_",
			}},
		{name: "delete missing is nothing", ops: []Op{{Kind: Delete, Path: p(t, "/interfaces/interface[name=eth9]/config")}}},
		{name: "replace whole list", ops: []Op{{Kind: Replace, Path: p(t, "/interfaces/interface"),
			Value: ietf(`[{"name":"eth1","config":{"name":"eth1","mtu":1500}}]`)}},
			want: []string{
				"/interfaces/interface[name=eth0]/config/description a->_",
				"/interfaces/interface[name=eth0]/config/mtu 1500->_",
				"/interfaces/interface[name=eth0]/config/name eth0->_",
				"/interfaces/interface[name=eth0]/name eth0->_",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := &oc.Device{}
			e := s.NewEdit(root)
			for _, op := range base {
				if err := e.Apply(op); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := ygot.DeepCopy(root)
			e = s.NewEdit(root)
			for _, op := range tt.ops {
				if err := e.Apply(op); err != nil {
					t.Fatalf("Apply(%v %s): %v", op.Kind, FormatPath(op.Path), err)
				}
			}
			if diff := cmp.Diff(tt.want, changeList(t, e.Changes())); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			e.Undo()
			if diff, _ := ygot.Diff(before, root); len(diff.GetUpdate())+len(diff.GetDelete()) > 0 {
				t.Errorf("Undo left changes: %v", diff)
			}
			if root.Interfaces == nil || len(root.Interfaces.Interface) != 2 {
				t.Errorf("Undo did not restore the entries: %v", root.Interfaces)
			}
		})
	}
}

func TestEditErrors(t *testing.T) {
	s := compileOC(t)
	tests := []struct {
		name   string
		op     Op
		want   error
		substr string
	}{
		{"unknown child", Op{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/config/mtuu"), Value: uval(1)}, ErrUnknownPath, "mtuu"},
		{"unknown top", Op{Kind: Update, Path: p(t, "/nothing"), Value: uval(1)}, ErrUnknownPath, "nothing"},
		{"missing keys", Op{Kind: Update, Path: p(t, "/interfaces/interface/config/mtu"), Value: uval(1)}, ErrBadPath, "interface"},
		{"wrong key name", Op{Kind: Update, Path: p(t, "/interfaces/interface[id=eth0]/config/mtu"), Value: uval(1)}, ErrBadPath, "name"},
		{"below a leaf", Op{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/config/mtu/x"), Value: uval(1)}, ErrBadPath, "mtu"},
		{"out of range", Op{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/config/mtu"), Value: uval(70000)}, ErrBadValue, "70000"},
		{"wrong type", Op{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/config/mtu"), Value: sval("big")}, ErrBadValue, "big"},
		{"scalar for container", Op{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/config"), Value: uval(1)}, ErrBadValue, "JSON"},
		{"key conflict", Op{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]"), Value: ietf(`{"name":"eth1"}`)}, ErrBadValue, "eth1"},
		{"change key leaf", Op{Kind: Update, Path: p(t, "/interfaces/interface[name=eth0]/name"), Value: sval("eth1")}, ErrBadValue, "key"},
		{"empty entry replace", Op{Kind: Replace, Path: p(t, "/interfaces/interface[name=eth0]"), Value: ietf(`{}`)}, ErrBadValue, "empty"},
		{"no value", Op{Kind: Update, Path: p(t, "/system/config/hostname")}, ErrBadValue, "no value"},
		{"unknown json member", Op{Kind: Update, Path: p(t, "/system/config"), Value: ietf(`{"hostnam":"x"}`)}, ErrBadValue, "hostnam"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := &oc.Device{}
			e := s.NewEdit(root)
			err := e.Apply(tt.op)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.substr) {
				t.Fatalf("Apply() error = %v, want %v naming %q", err, tt.want, tt.substr)
			}
			e.Undo()
			if d, _ := ygot.Diff(&oc.Device{}, root); len(d.GetUpdate()) > 0 {
				t.Errorf("failed op left %v", d)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	s := compileOC(t)
	root := &oc.Device{}
	e := s.NewEdit(root)
	if err := e.Apply(Op{Kind: Update, Path: p(t, "/"), Value: ietf(`{
		"openconfig-interfaces:interfaces":{"interface":[
			{"name":"eth0","config":{"name":"eth0","mtu":1500}},
			{"name":"eth1","config":{"name":"eth1","mtu":9000}}]},
		"openconfig-system:system":{"config":{"hostname":"r1"}}}`)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want []string
	}{
		{"/interfaces/interface[name=eth1]/config/mtu", []string{"/interfaces/interface[name=eth1]/config/mtu"}},
		{"/interfaces/interface[name=*]/config/mtu", []string{"/interfaces/interface[name=eth0]/config/mtu", "/interfaces/interface[name=eth1]/config/mtu"}},
		{"/interfaces/interface/config/mtu", []string{"/interfaces/interface[name=eth0]/config/mtu", "/interfaces/interface[name=eth1]/config/mtu"}},
		{"/interfaces/*/config/mtu", []string{"/interfaces/interface[name=eth0]/config/mtu", "/interfaces/interface[name=eth1]/config/mtu"}},
		{"/.../hostname", []string{"/system/config/hostname"}},
		{"/interfaces/interface[name=eth7]", nil},
		{"/system", []string{"/system"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var got []string
			if err := s.Match(root, p(t, tt.path), func(n Node) error {
				got = append(got, FormatPath(n.Path))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Match (-want +got):\n%s", diff)
			}
		})
	}
	if err := s.Match(root, p(t, "/interfacez/*"), func(Node) error { return nil }); !errors.Is(err, ErrUnknownPath) {
		t.Errorf("Match(/interfacez/*) error = %v, want ErrUnknownPath", err)
	}
}

func TestFieldAt(t *testing.T) {
	s := compileOC(t)
	f := s.FieldAt(p(t, "/interfaces/interface[name=eth0]/config/mtu"))
	if f == nil || f.Struct != nil || !f.Config {
		t.Fatalf("FieldAt(mtu) = %+v, want a config leaf", f)
	}
	if f := s.FieldAt(p(t, "/interfaces/interface[name=eth0]/state/counters/in-octets")); f == nil || f.Config {
		t.Errorf("FieldAt(in-octets) = %+v, want a state leaf", f)
	}
	if f := s.FieldAt(p(t, "/interfaces/interface")); f == nil || f.Struct == nil {
		t.Errorf("FieldAt(interface) = %+v, want the list", f)
	}
	for _, bad := range []string{"/interfaces/nosuch", "/interfaces/interface/config/mtu/deeper"} {
		if f := s.FieldAt(p(t, bad)); f != nil {
			t.Errorf("FieldAt(%s) = %+v, want nil", bad, f)
		}
	}
}
