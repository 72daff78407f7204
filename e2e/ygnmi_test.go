package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/openconfig/lemming/gnmi/oc"
	"github.com/openconfig/lemming/gnmi/oc/ocpath"
	"github.com/openconfig/ygnmi/ygnmi"
	"github.com/openconfig/ygot/ygot"
)

// TestYgnmi drives nwmod with ygnmi, OpenConfig's typed Go client, on
// paths generated from the OpenConfig models (lemming's generated
// package): Replace, Update, Get, Lookup, Watch and Delete.
func TestYgnmi(t *testing.T) {
	t.Parallel()
	n := startNwmod(t)
	addElement(t, n.Addr(), "sim-0")
	c, err := ygnmi.NewClient(n.Client(t), ygnmi.WithTarget("sim-0"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	eth0 := ocpath.Root().Interface("eth0")

	if _, err := ygnmi.Replace(ctx, c, eth0.Config(), &oc.Interface{
		Name:        ygot.String("eth0"),
		Mtu:         ygot.Uint16(1500),
		Description: ygot.String("uplink"),
		Type:        oc.IETFInterfaces_InterfaceType_ethernetCsmacd,
	}); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if got, err := ygnmi.Get(ctx, c, eth0.Mtu().Config()); err != nil || got != 1500 {
		t.Fatalf("Get mtu = %v, %v; want 1500", got, err)
	}

	// Watch sees the current value, then the next change.
	initial, seen := make(chan struct{}), make(chan uint16, 1)
	w := ygnmi.Watch(ctx, c, eth0.Mtu().Config(), func(v *ygnmi.Value[uint16]) error {
		switch m, _ := v.Val(); m {
		case 1500:
			close(initial)
		case 9000:
			seen <- m
			return nil
		}
		return ygnmi.Continue
	})
	select {
	case <-initial:
	case <-ctx.Done():
		t.Fatal("Watch did not see the current mtu 1500")
	}
	if _, err := ygnmi.Update(ctx, c, eth0.Mtu().Config(), 9000); err != nil {
		t.Fatalf("Update: %v", err)
	}
	select {
	case <-seen:
	case <-ctx.Done():
		t.Fatal("Watch did not see mtu 9000")
	}
	if _, err := w.Await(); err != nil {
		t.Fatalf("Watch: %v", err)
	}

	if _, err := ygnmi.Delete(ctx, c, eth0.Description().Config()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	v, err := ygnmi.Lookup(ctx, c, eth0.Description().Config())
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	if d, ok := v.Val(); ok {
		t.Errorf("description = %q after Delete, want none", d)
	}
	whole, err := ygnmi.Get(ctx, c, eth0.Config())
	if err != nil || whole.GetMtu() != 9000 || whole.GetName() != "eth0" {
		t.Errorf("Get of the interface = %+v, %v", whole, err)
	}
}
