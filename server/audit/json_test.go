package audit

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// appendJSON writes what encoding/json writes, for any string.
func TestAppendJSONIsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "Z", "/", "[", "=", "]", `"`, `\`, "<", ">", "&", "\n", "\r", "\t", "\x00", "\x1f", "\x7f",
		"é", "€", "\u2028", "\u2029", "\xff", "\xe2\x82", "𝄞", " "}
	str := func() string {
		s := ""
		for range rng.IntN(12) {
			s += alphabet[rng.IntN(len(alphabet))]
		}
		return s
	}
	for i := range 2000 {
		r := &Record{Time: time.Unix(int64(rng.Uint32()), int64(rng.IntN(1e9))).UTC(), User: str(), RPC: str(), Code: str()}
		if i%2 == 0 {
			r.Peer, r.Target, r.Subject, r.Error, r.Commit = str(), str(), str(), str(), rng.Uint64()
			for range rng.IntN(3) {
				r.Ops = append(r.Ops, Op{Op: str(), Path: str()})
			}
		}
		if i%7 == 0 {
			r.Time = time.Date(2026, 11, 24, 13, 0, 0, 0, time.FixedZone("x", 3600))
		}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.appendJSON(nil); string(got) != string(want) {
			t.Fatalf("record %+v:\n got %s\nwant %s", r, got, want)
		}
	}
}

func BenchmarkRecord(b *testing.B) {
	r := &Record{Time: time.Now(), User: "alice", Peer: "127.0.0.1", RPC: "gnmi.Set", Target: "sim-0",
		Ops: []Op{{Op: "update", Path: "/interfaces/interface[name=eth0]/config/description"}}, Commit: 123456, Code: "OK"}
	b.Run("appendJSON", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = r.appendJSON(buf[:0])
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(r)
		}
	})
}
