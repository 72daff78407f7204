package server

import (
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
)

func commitExt(id string, d *durationpb.Duration) []*gnmi_ext.Extension {
	return []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: &gnmi_ext.Commit{Id: id,
		Action: &gnmi_ext.Commit_Commit{Commit: &gnmi_ext.CommitRequest{RollbackDuration: d}}}}}}
}

func confirmExt(id string) []*gnmi_ext.Extension {
	return []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: &gnmi_ext.Commit{Id: id,
		Action: &gnmi_ext.Commit_Confirm{Confirm: &gnmi_ext.CommitConfirm{}}}}}}
}

func cancelExt(id string) []*gnmi_ext.Extension {
	return []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: &gnmi_ext.Commit{Id: id,
		Action: &gnmi_ext.Commit_Cancel{Cancel: &gnmi_ext.CommitCancel{}}}}}}
}

func rollbackExt(id string, d *durationpb.Duration) []*gnmi_ext.Extension {
	return []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: &gnmi_ext.Commit{Id: id,
		Action: &gnmi_ext.Commit_SetRollbackDuration{SetRollbackDuration: &gnmi_ext.CommitSetRollbackDuration{RollbackDuration: d}}}}}}
}

func TestCommitConfirmed(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.setIfaces(t, "sim-0", "eth0")
	mtu := "/interfaces/interface[name=eth0]/config/mtu"
	setMTU := func(v uint64, ext []*gnmi_ext.Extension) error {
		_, err := f.c.Set(ctxT(t), &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0"},
			Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(v)}}, Extension: ext})
		return err
	}
	action := func(ext []*gnmi_ext.Extension) error {
		_, err := f.c.Set(ctxT(t), &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-0"}, Extension: ext})
		return err
	}
	mtuNow := func() any { return f.leaves(t, "sim-0", mtu)[mtu] }

	// Nothing pending.
	wantCode(t, action(confirmExt("x")), codes.FailedPrecondition)
	wantCode(t, action(cancelExt("x")), codes.FailedPrecondition)
	wantCode(t, action(rollbackExt("x", durationpb.New(time.Minute))), codes.FailedPrecondition)
	// Malformed.
	wantCode(t, setMTU(9000, commitExt("c1", durationpb.New(0))), codes.InvalidArgument)
	wantCode(t, setMTU(9000, commitExt("", nil)), codes.InvalidArgument)
	wantCode(t, setMTU(9000, []*gnmi_ext.Extension{{Ext: &gnmi_ext.Extension_Commit{Commit: &gnmi_ext.Commit{Id: "c1"}}}}), codes.InvalidArgument)
	if got := mtuNow(); got != float64(1500) {
		t.Fatalf("mtu %v after refused commits", got)
	}

	t.Run("default duration is 10 minutes", func(t *testing.T) {
		start := time.Now()
		if err := setMTU(9000, commitExt("c1", nil)); err != nil {
			t.Fatal(err)
		}
		p, ok := f.store.Pending()
		if !ok || p.ID != "c1" {
			t.Fatalf("pending %+v %v, want c1", p, ok)
		}
		if d := p.Deadline.Sub(start); d < 10*time.Minute-time.Second || d > 10*time.Minute+5*time.Second {
			t.Errorf("deadline in %v, want 10m", d)
		}
		if got := mtuNow(); got != float64(9000) {
			t.Errorf("mtu %v while pending, want 9000", got)
		}
	})
	t.Run("while pending", func(t *testing.T) {
		wantCode(t, setMTU(1400, nil), codes.FailedPrecondition)
		wantCode(t, setMTU(1400, commitExt("c2", nil)), codes.FailedPrecondition)
		wantCode(t, action(confirmExt("other")), codes.InvalidArgument)
		wantCode(t, action(cancelExt("other")), codes.InvalidArgument)
		wantCode(t, action(rollbackExt("c1", durationpb.New(0))), codes.InvalidArgument)
		wantCode(t, action(rollbackExt("c1", nil)), codes.InvalidArgument)
		// An action carries no operations.
		wantCode(t, setMTU(1400, confirmExt("c1")), codes.InvalidArgument)
		if err := action(rollbackExt("c1", durationpb.New(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if p, _ := f.store.Pending(); time.Until(p.Deadline) < 59*time.Minute {
			t.Errorf("deadline in %v after set_rollback_duration 1h", time.Until(p.Deadline))
		}
	})
	t.Run("confirm", func(t *testing.T) {
		if err := action(confirmExt("c1")); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.store.Pending(); ok {
			t.Error("still pending after confirm")
		}
		if got := mtuNow(); got != float64(9000) {
			t.Errorf("mtu %v after confirm, want 9000", got)
		}
		if err := setMTU(9100, nil); err != nil {
			t.Errorf("a plain Set after confirm: %v", err)
		}
	})
	t.Run("cancel rolls back", func(t *testing.T) {
		if err := setMTU(1280, commitExt("c3", durationpb.New(time.Minute))); err != nil {
			t.Fatal(err)
		}
		if err := action(cancelExt("c3")); err != nil {
			t.Fatal(err)
		}
		if got := mtuNow(); got != float64(9100) {
			t.Errorf("mtu %v after cancel, want 9100", got)
		}
	})
	t.Run("expiry rolls back", func(t *testing.T) {
		if err := setMTU(1280, commitExt("c4", durationpb.New(300*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for mtuNow() != float64(9100) {
			if time.Now().After(deadline) {
				t.Fatalf("mtu %v 10s after the rollback duration, want 9100", mtuNow())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestCommitCandidateWithExtension(t *testing.T) {
	f := newFixture(t)
	f.addElement(t, "sim-0")
	f.addElement(t, "sim-1")
	f.setIfaces(t, "sim-0", "eth0")
	mtu := "/interfaces/interface[name=eth0]/config/mtu"
	f.set(t, "sim-0@change42", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, mtu), Val: uintVal(9000)}}})
	f.set(t, "sim-1@change42", &gpb.SetRequest{Update: []*gpb.Update{{Path: path(t, "/system/config/hostname"), Val: strVal("r1")}}})

	// Whatever the prefix target: here none.
	resp, err := f.c.Set(ctxT(t), &gpb.SetRequest{Extension: commitExt("change42", durationpb.New(time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetTimestamp() == 0 {
		t.Error("no timestamp")
	}
	if got := f.leaves(t, "sim-0", mtu)[mtu]; got != float64(9000) {
		t.Errorf("sim-0 mtu %v, want the candidate's 9000", got)
	}
	if got := f.leaves(t, "sim-1", "/system/config/hostname")["/system/config/hostname"]; got != "r1" {
		t.Errorf("sim-1 hostname %v, want the candidate's r1", got)
	}
	if p, ok := f.store.Pending(); !ok || p.ID != "change42" {
		t.Errorf("pending %+v %v: want the candidate commit pending confirmation as change42", p, ok)
	}
	if f.srv.isCandidate("change42") {
		t.Error("the candidate is still open after its commit")
	}
	if err := func() error {
		_, err := f.c.Set(ctxT(t), &gpb.SetRequest{Prefix: &gpb.Path{Target: "sim-1"}, Extension: cancelExt("change42")})
		return err
	}(); err != nil {
		t.Fatal(err)
	}
	if got := f.leaves(t, "sim-0", mtu)[mtu]; got != float64(1500) {
		t.Errorf("sim-0 mtu %v after cancel, want 1500", got)
	}
}
