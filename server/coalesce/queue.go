// Package coalesce is a bounded, coalescing, in-order queue between one
// producer that must never wait and one consumer that may be slow: the
// subscription queue of nwmo's gNMI server.
//
// Values are keyed (by leaf path, for a subscription): inserting a key that
// is already waiting replaces its value in place, so a consumer that falls
// behind receives the latest value of each key once instead of every
// intermediate one. Keys come out in the order they were first inserted.
// Memory is bounded by the weight of what waits: a value weighs 1 unless
// inserted with a weight (a batch of leaves, say, weighs as many leaves).
// When an insert would take the weight past the limit the queue drops
// everything and records an overflow, which the consumer sees on its next
// Drain and answers by resynchronising from the source of truth.
//
// It follows the design of github.com/openconfig/gnmi/coalesce, with a
// bound, a value per key, and a channel to select on instead of a blocking
// Next.
//
//	q := coalesce.New[string, *gpb.Update](100_000)
//	q.Insert(path, update)                  // producer, never blocks
//	<-q.Ready(); batch, overflowed := q.Drain(nil, 1000) // consumer
package coalesce

import "sync"

// Queue is a coalescing queue of values V keyed by K. It is safe for one or
// more producers and one consumer.
type Queue[K comparable, V any] struct {
	limit int
	ready chan struct{} // holds a token while the queue has something to report

	mu       sync.Mutex
	order    []K           // keys in first-insertion order, from head on
	head     int           // index in order of the next key out
	vals     map[K]slot[V] // the latest value of every waiting key
	weight   int           // of all the waiting values
	overflow bool          // values were dropped since the last Drain
	closed   bool
}

type slot[V any] struct {
	v V
	w int
}

// New returns a queue holding values of at most limit weight in all;
// limit <= 0 means no limit.
func New[K comparable, V any](limit int) *Queue[K, V] {
	return &Queue[K, V]{limit: limit, ready: make(chan struct{}, 1), vals: map[K]slot[V]{}}
}

// Insert queues v under k, with weight 1, replacing the value of k if it
// is still waiting. It reports false when the insert overflowed the queue,
// which then holds nothing but the overflow mark, or when the queue is
// closed.
func (q *Queue[K, V]) Insert(k K, v V) bool {
	return q.InsertWeighted(k, v, 1)
}

// InsertWeighted is Insert of a value that weighs w (at least 1).
func (q *Queue[K, V]) InsertWeighted(k K, v V, w int) bool {
	w = max(w, 1)
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	old, waiting := q.vals[k]
	ok := true
	switch {
	case q.limit > 0 && q.weight-old.w+w > q.limit:
		q.dropLocked()
		q.overflow = true
		ok = false
	case waiting:
		q.vals[k] = slot[V]{v, w}
		q.weight += w - old.w
	default:
		q.vals[k] = slot[V]{v, w}
		q.weight += w
		q.order = append(q.order, k)
	}
	q.mu.Unlock()
	q.signal()
	return ok
}

// Overflow drops everything waiting and marks the queue overflowed, as if
// an insert had exceeded the limit: the producer lost track of what it
// should have inserted.
func (q *Queue[K, V]) Overflow() {
	q.mu.Lock()
	q.dropLocked()
	q.overflow = true
	q.mu.Unlock()
	q.signal()
}

func (q *Queue[K, V]) dropLocked() {
	clear(q.vals)
	q.order, q.head, q.weight = nil, 0, 0
}

func (q *Queue[K, V]) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready returns a channel that receives when the queue may have values or
// an overflow to report; Drain may still find nothing (another Drain got
// there first).
func (q *Queue[K, V]) Ready() <-chan struct{} { return q.ready }

// Drain appends up to max waiting values (all of them when max <= 0) to
// dst in first-insertion order of their keys, removes them, and returns
// dst. overflowed reports that values were dropped since the last Drain:
// the consumer must resynchronise, then go on with what the queue holds
// from then on.
func (q *Queue[K, V]) Drain(dst []V, max int) (out []V, overflowed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	overflowed, q.overflow = q.overflow, false
	n := len(q.order) - q.head
	if max > 0 && n > max {
		n = max
	}
	for _, k := range q.order[q.head : q.head+n] {
		s := q.vals[k]
		dst = append(dst, s.v)
		q.weight -= s.w
		delete(q.vals, k)
	}
	var zero K
	for i := q.head; i < q.head+n; i++ {
		q.order[i] = zero // let the garbage collector have the key
	}
	q.head += n
	switch {
	case q.head == len(q.order):
		q.order, q.head = q.order[:0], 0
	case q.head > len(q.order)/2:
		// Reclaim the consumed front once it is most of the slice.
		q.order = append(q.order[:0], q.order[q.head:]...)
		q.head = 0
	}
	if len(q.order) > 0 {
		q.signal()
	}
	return dst, overflowed
}

// Len returns how many distinct keys are waiting.
func (q *Queue[K, V]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.vals)
}

// Close makes every later Insert fail and drops what is waiting.
func (q *Queue[K, V]) Close() {
	q.mu.Lock()
	q.closed = true
	q.dropLocked()
	q.mu.Unlock()
}
