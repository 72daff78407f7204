package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"

	"github.com/nwmo/nwmo/cmd/internal/flagconfig"
	"google.golang.org/grpc/credentials/insecure"
)

func TestOptionErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--count", "0"},
		{"--control", "0.0.0.0:1"},
		{"--log-level", "loud"},
		{"extra"},
	} {
		err := run(context.Background(), args, io.Discard)
		if !errors.As(err, new(flagconfig.UsageError)) {
			t.Errorf("nwmo-sim %v: %v, want a usage error", args, err)
		}
	}
}

// TestServes runs nwmo-sim, reads the addresses it logs, and talks to an
// element and to the fault control.
func TestServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--count", "2", "--prefix", "leaf-",
			"--control", "127.0.0.1:0", "--log-format", "json", "--state-interval", "0"}, pw)
		pw.Close()
	}()
	addrs := map[string]string{}
	var control string
	sc := bufio.NewScanner(pr)
	for control == "" && sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		switch l["msg"] {
		case "element serving":
			addrs[l["name"].(string)] = l["addr"].(string)
		case "serving fault control":
			control = l["addr"].(string)
		}
	}
	go io.Copy(io.Discard, pr)
	if len(addrs) != 2 || addrs["leaf-1"] == "" {
		t.Fatalf("element addresses %v, want leaf-0 and leaf-1", addrs)
	}

	conn, err := grpc.NewClient("passthrough:///"+addrs["leaf-1"], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	if _, err := gpb.NewGNMIClient(conn).Get(rctx, &gpb.GetRequest{Prefix: &gpb.Path{Target: "leaf-1"},
		Path: []*gpb.Path{{Elem: []*gpb.PathElem{{Name: "system"}}}}}); err != nil {
		t.Errorf("Get on leaf-1: %v", err)
	}

	resp, err := http.Post("http://"+control+"/elements/leaf-0/down", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"up":false`) {
		t.Errorf("POST down: %d %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nwmo-sim did not stop")
	}
}
