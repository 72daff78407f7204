package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"github.com/nwmo/nwmo/datastore"
	"github.com/nwmo/nwmo/datastore/tree"
)

func TestPatternCovers(t *testing.T) {
	leaf := "/interfaces/interface[name=eth0]/config/mtu"
	for _, tc := range []struct {
		pat  string
		want bool
	}{
		{"/", true},
		{"/interfaces", true},
		{"/interfaces/interface[name=eth0]", true},
		{"/interfaces/interface[name=eth1]", false},
		{"/interfaces/interface[name=*]/config", true},
		{"/interfaces/interface/config/mtu", true},
		{"/interfaces/*/*/mtu", true},
		{"/*/*/*/*/*", false}, // below the leaf
		{"/.../mtu", true},
		{"/.../config", true},
		{"/.../state", false},
		{"/interfaces/.../mtu", true},
		{"/system", false},
		{leaf, true},
		{leaf + "/x", false},
	} {
		if got := compilePattern(path(t, tc.pat).Elem).covers(path(t, leaf).Elem); got != tc.want {
			t.Errorf("pattern %s covers %s = %v, want %v", tc.pat, leaf, got, tc.want)
		}
	}
}

func TestCheckSchema(t *testing.T) {
	device, own, err := datastore.Models()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sc     *tree.Schema
		path   string
		want   string
		code   codes.Code
		prefix string // concretePrefix of the result
	}{
		{device.Schema, "/openconfig-interfaces:interfaces/interface[name=eth0]", "/interfaces/interface[name=eth0]", codes.OK, "/interfaces/interface[name=eth0]"},
		{device.Schema, "/interfaces/interface/config", "/interfaces/interface[name=*]/config", codes.OK, "/interfaces"},
		{device.Schema, "/interfaces/interface", "/interfaces/interface", codes.OK, "/interfaces/interface"},
		{device.Schema, "/interfaces/*/config", "/interfaces/*/config", codes.OK, "/interfaces"},
		{device.Schema, "/network-instances/network-instance[name=a]/protocols/protocol[name=bgp]", "/network-instances/network-instance[name=a]/protocols/protocol[identifier=*][name=bgp]", codes.OK, "/network-instances/network-instance[name=a]/protocols"},
		{device.Schema, "/interfaces/bogus", "", codes.NotFound, ""},
		{device.Schema, "/interfaces[name=x]", "", codes.InvalidArgument, ""},
		{device.Schema, "/interfaces/interface[index=1]", "", codes.InvalidArgument, ""},
		{device.Schema, "/interfaces/interface[name=eth0]/subinterfaces/subinterface[index=x]", "", codes.InvalidArgument, ""},
		{device.Schema, "/interfaces/interface[name=eth0]/config/mtu/deeper", "", codes.InvalidArgument, ""},
		{own.Schema, "/nwmo:targets/target", "/targets/target", codes.OK, "/targets/target"},
		{own.Schema, "/interfaces", "", codes.NotFound, ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got, err := checkSchema(tc.sc, path(t, tc.path).Elem)
			if c := code(err); err != nil && c != tc.code || err == nil && tc.code != codes.OK {
				t.Fatalf("error %v, want code %v", err, tc.code)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, tree.FormatPath(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.prefix, tree.FormatPath(concretePrefix(tc.sc, got))); diff != "" {
				t.Errorf("concrete prefix (-want +got):\n%s", diff)
			}
		})
	}
}
