package coalesce

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type op struct {
	insert string // key; "" means drain
	val    int
	weight int // of an insert; 0 inserts with Insert
	max    int // of a drain
}

func TestQueue(t *testing.T) {
	type drained struct {
		Vals     []int
		Overflow bool
	}
	for _, tc := range []struct {
		name  string
		limit int
		ops   []op
		want  []drained // one per drain
	}{
		{"in order", 0, []op{{insert: "a", val: 1}, {insert: "b", val: 2}, {insert: "c", val: 3}, {}},
			[]drained{{Vals: []int{1, 2, 3}}}},
		{"latest value wins, first position kept", 0, []op{{insert: "a", val: 1}, {insert: "b", val: 2}, {insert: "a", val: 3}, {}},
			[]drained{{Vals: []int{3, 2}}}},
		{"drain at most max", 0, []op{{insert: "a", val: 1}, {insert: "b", val: 2}, {insert: "c", val: 3}, {max: 2}, {insert: "a", val: 4}, {}},
			[]drained{{Vals: []int{1, 2}}, {Vals: []int{3, 4}}}},
		{"a key drained comes again at the back", 0, []op{{insert: "a", val: 1}, {insert: "b", val: 2}, {max: 1}, {insert: "a", val: 3}, {}},
			[]drained{{Vals: []int{1}}, {Vals: []int{2, 3}}}},
		{"overflow drops everything and is reported once", 2, []op{{insert: "a", val: 1}, {insert: "b", val: 2}, {insert: "c", val: 3}, {insert: "d", val: 4}, {}, {}},
			[]drained{{Vals: []int{4}, Overflow: true}, {}}},
		{"updating a waiting key never overflows", 2, []op{{insert: "a", val: 1}, {insert: "b", val: 2}, {insert: "b", val: 3}, {}},
			[]drained{{Vals: []int{1, 3}}}},
		{"weights count against the limit", 5, []op{{insert: "a", val: 1, weight: 3}, {insert: "b", val: 2}, {insert: "c", val: 3}, {}},
			[]drained{{Vals: []int{1, 2, 3}}}},
		{"a heavy insert overflows", 5, []op{{insert: "a", val: 1, weight: 3}, {insert: "b", val: 2}, {insert: "c", val: 3, weight: 2}, {}},
			[]drained{{Overflow: true}}},
		{"drained weight is free again", 3, []op{{insert: "a", val: 1, weight: 3}, {}, {insert: "b", val: 2, weight: 3}, {}},
			[]drained{{Vals: []int{1}}, {Vals: []int{2}}}},
		{"a new value of a key replaces its weight", 4, []op{{insert: "a", val: 1, weight: 3}, {insert: "a", val: 2}, {insert: "b", val: 3, weight: 3}, {}},
			[]drained{{Vals: []int{2, 3}}}},
		{"empty", 0, []op{{}}, []drained{{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := New[string, int](tc.limit)
			var got []drained
			for _, o := range tc.ops {
				switch {
				case o.insert != "" && o.weight > 0:
					q.InsertWeighted(o.insert, o.val, o.weight)
					continue
				case o.insert != "":
					q.Insert(o.insert, o.val)
					continue
				}
				vals, overflow := q.Drain(nil, o.max)
				got = append(got, drained{Vals: vals, Overflow: overflow})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("drains (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueueReadyAndClose(t *testing.T) {
	q := New[string, int](0)
	select {
	case <-q.Ready():
		t.Fatal("ready while empty")
	default:
	}
	q.Insert("a", 1)
	q.Insert("b", 2)
	select {
	case <-q.Ready():
	case <-time.After(time.Second):
		t.Fatal("not ready after an insert")
	}
	if vals, _ := q.Drain(nil, 1); len(vals) != 1 {
		t.Fatalf("drained %v", vals)
	}
	select {
	case <-q.Ready():
	default:
		t.Fatal("not ready again with a value left")
	}
	if q.Len() != 1 {
		t.Errorf("Len %d, want 1", q.Len())
	}
	q.Overflow()
	if vals, overflow := q.Drain(nil, 0); len(vals) != 0 || !overflow {
		t.Errorf("after Overflow: %v %v", vals, overflow)
	}
	q.Close()
	if q.Insert("c", 3) {
		t.Error("Insert after Close succeeded")
	}
	if q.Len() != 0 {
		t.Errorf("Len %d after Close", q.Len())
	}
}

func BenchmarkQueue(b *testing.B) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "/interfaces/interface[name=eth" + string(rune('0'+i%10)) + "]/config/" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	q := New[string, int](0)
	var dst []int
	b.ReportAllocs()
	for b.Loop() {
		for i, k := range keys {
			q.Insert(k, i)
		}
		dst, _ = q.Drain(dst[:0], 0)
	}
	b.ReportMetric(float64(b.N*len(keys))/b.Elapsed().Seconds(), "leaves/s")
}
