package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func readRecords(t *testing.T, name string) []Record {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: line %q: %v", name, sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// Records from many goroutines all reach the file, whole, and are on
// disk once Close returns.
func TestTrailRecords(t *testing.T) {
	name := filepath.Join(t.TempDir(), "audit.log")
	tr, err := Open(name, 1<<30, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				tr.Record(&Record{Time: time.Now(), User: fmt.Sprintf("u%d", g), RPC: "gnmi.Set", Target: "sim-0",
					Ops: []Op{{Op: "update", Path: fmt.Sprintf("/x[n=%d]", i)}}, Code: "OK"})
			}
		}()
	}
	wg.Wait()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, name)
	if len(recs) != 8*500 {
		t.Fatalf("%d records in the file, want %d", len(recs), 8*500)
	}
	perUser := map[string]int{}
	for _, r := range recs {
		perUser[r.User]++
		if r.RPC != "gnmi.Set" || len(r.Ops) != 1 || r.Code != "OK" {
			t.Fatalf("record %+v is not what was recorded", r)
		}
	}
	for g := range 8 {
		if n := perUser[fmt.Sprintf("u%d", g)]; n != 500 {
			t.Errorf("user u%d: %d records, want 500", g, n)
		}
	}
	// A record after Close is dropped, not a panic on a closed file.
	tr.Record(&Record{User: "late"})
	if err := tr.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Records reach the file without Close, within moments.
func TestTrailWritesBehind(t *testing.T) {
	name := filepath.Join(t.TempDir(), "audit.log")
	tr, err := Open(name, 1<<30, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Record(&Record{User: "alice", RPC: "admin.Rollback", Subject: "12", Code: "PermissionDenied", Error: "no"})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if recs := readRecords(t, name); len(recs) == 1 {
			if r := recs[0]; r.User != "alice" || r.Subject != "12" || r.Code != "PermissionDenied" {
				t.Errorf("record %+v", r)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the record never reached the file")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The file rotates past its largest size, keeping Keep older files, and
// an existing file is appended to.
func TestTrailRotates(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(name, []byte(`{"user":"before","rpc":"gnmi.Set","code":"OK"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := range n {
		tr, err := Open(name, 300, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		// Each Close writes one batch of about 200 bytes: every other
		// batch rotates.
		tr.Record(&Record{User: fmt.Sprintf("u%d", i), RPC: "gnmi.Set", Target: "a-long-enough-target-name", Code: "OK"})
		tr.Record(&Record{User: fmt.Sprintf("u%d", i), RPC: "gnmi.Set", Target: "a-long-enough-target-name", Code: "OK"})
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
	}
	files, err := filepath.Glob(name + "*")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != Keep+1 {
		t.Fatalf("files %q, want the log and %d rotated ones", files, Keep)
	}
	for _, f := range files {
		if st, _ := os.Stat(f); st.Size() > 300 {
			t.Errorf("%s is %d bytes, past the largest size", f, st.Size())
		}
	}
	newest := readRecords(t, name)
	if last := newest[len(newest)-1]; last.User != fmt.Sprintf("u%d", n-1) {
		t.Errorf("the newest record in %s is %q's, want u%d's", name, last.User, n-1)
	}
	older := readRecords(t, name+".1")
	if older[0].User != fmt.Sprintf("u%d", n-2) {
		t.Errorf("%s.1 starts with %q's record, want u%d's", name, older[0].User, n-2)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "no", "such", "dir"), 100, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("opened a trail in a missing directory")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "a"), 0, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("opened a trail with no size")
	}
}
