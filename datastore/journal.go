package datastore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/nwmo/nwmo/datastore/wal"
)

// journal is the group commit. A commit queues its entry while it holds
// its targets' locks (so that entries are in commit order), lets the locks
// go, and waits for the entry to be durable: the first waiter finding no
// sync under way gives the committers still running a moment to queue
// theirs (gather), writes every entry queued so far to the write-ahead
// log and syncs it, on its own goroutine, and wakes the others it
// covered and one committer queued meanwhile, who syncs next. An applier
// goroutine writes durable entries to Badger behind the log, many commits
// in one Badger transaction, with the LSN of the last entry applied. On
// start-up, the log's entries after that LSN are written to Badger again:
// Badger holds everything acknowledged once the journal is open.
//
// Measured here, with 16 committers: Badger syncing its memtable once per
// transaction, with each write passed between three goroutines, took
// about 310 µs a cycle; handing entries to a log-writing goroutine cost
// two goroutine wake-ups per commit, which under load weighed more than
// the fdatasync itself (about 100 µs on a preallocated segment).
//
// An in-memory store has no log: an entry is durable once applied.
type journal struct {
	db     *badger.DB
	log    *wal.Log // nil in memory
	logger *slog.Logger
	wake   chan struct{} // entries are ready for the applier
	kick   chan struct{} // a reader waits for the applier
	done   chan struct{} // the applier stopped
	// failed is called when Badger refuses entries already acknowledged:
	// they are safe in the log, but the store must stop until a restart
	// replays them.
	failed func(error)

	mu         sync.Mutex
	cond       *sync.Cond
	closed     bool
	next       uint64        // the LSN of the next entry
	open       *group        // entries queued for the next sync
	inflight   *group        // entries being synced, while syncing
	syncing    bool          // a waiter is writing and syncing the log
	syncTime   time.Duration // a moving average of write and sync
	durable    uint64        // the last entry durable (acknowledged)
	ready      []*entry      // durable, waiting for the applier, in LSN order
	readyBytes int
	applied    uint64 // the last entry in Badger
	err        error  // once set, the journal takes nothing more
}

// group is the entries one sync covers. Their committers wait on the
// group's own condition, so that a sync wakes only those it made
// durable, and one of the next group's to sync it.
type group struct {
	cond    *sync.Cond // on journal.mu
	first   uint64     // no entry in the group has a lower LSN
	entries []*entry
}

func (j *journal) newGroup() *group {
	return &group{cond: sync.NewCond(&j.mu), first: j.next}
}

// entry is one atomic group of writes: all of them are in Badger after a
// crash, or none.
type entry struct {
	writes  []write
	payload []byte // the writes, encoded for the log
	size    int
	lsn     uint64
}

// write sets or deletes one Badger key.
type write struct {
	key, value []byte
	del        bool
}

func setKey(k, v []byte) write { return write{key: k, value: v} }
func delKey(k []byte) write    { return write{key: k, del: true} }

const (
	journalDir    = "journal"
	maxApplyBytes = 8 << 20  // written to Badger at once, whatever the interval
	maxReadyBytes = 64 << 20 // durable but not in Badger: writers wait beyond this
	// Badger syncs each batch it writes (two flushes: its memtable's log
	// and its value log); measured with 16 gNMI clients, batches every
	// 100 ms rather than every 10 ms gave 7% more Sets a second (median of
	// 12 alternating rounds) for 6% less CPU a Set.
	applyInterval = 100 * time.Millisecond
	// A yield that takes longer than busyYield ran other goroutines: the
	// machine is busy. maxGather bounds a gathering whatever syncs take.
	busyYield = 10 * time.Microsecond
	maxGather = time.Millisecond
)

// journalKey holds the LSN of the last log entry written to Badger.
var journalKey = []byte{prefixJournal}

// openJournal opens the journal over db, first writing to Badger what
// the log in dir holds beyond it; dir "" is an in-memory store's.
func openJournal(db *badger.DB, dir string, segmentSize int64, logger *slog.Logger, failed func(error)) (*journal, error) {
	j := &journal{db: db, logger: logger, failed: failed, next: 1,
		wake: make(chan struct{}, 1), kick: make(chan struct{}, 1), done: make(chan struct{})}
	j.cond = sync.NewCond(&j.mu)
	j.open = j.newGroup()
	if dir != "" {
		if err := j.replay(dir, segmentSize); err != nil {
			return nil, err
		}
	}
	go j.apply()
	return j, nil
}

// replay opens the log and writes its entries after Badger's last to
// Badger, durably, before anything else reads Badger.
func (j *journal) replay(dir string, segmentSize int64) error {
	after, err := j.lastApplied()
	if err != nil {
		return err
	}
	wb := j.db.NewWriteBatch()
	defer wb.Cancel()
	last, replayed := after, 0
	log, err := wal.Open(dir, after, segmentSize, func(lsn uint64, payload []byte) error {
		ws, err := decodeWrites(payload)
		if err != nil {
			return fmt.Errorf("write-ahead log entry %d: %w", lsn, err)
		}
		last, replayed = lsn, replayed+1
		return writeBatch(wb, ws)
	})
	if err != nil {
		return err
	}
	if replayed > 0 {
		err = wb.Set(journalKey, binary.BigEndian.AppendUint64(nil, last))
		if err == nil {
			err = wb.Flush()
		}
		if err != nil {
			log.Close()
			return fmt.Errorf("writing the write-ahead log to the datastore: %w", err)
		}
		j.logger.Info("write-ahead log replayed", "entries", replayed, "last", last)
	}
	if err := log.Release(last); err != nil {
		j.logger.Warn("releasing write-ahead log segments", "err", err)
	}
	j.log, j.next, j.durable, j.applied = log, last+1, last, last
	j.open = j.newGroup()
	return nil
}

func (j *journal) lastApplied() (uint64, error) { return readUint64(j.db, journalKey) }

// readUint64 reads a uint64 kept under key in Badger; a missing key is 0.
func readUint64(db *badger.DB, key []byte) (uint64, error) {
	var n uint64
	err := db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("key %q holds %d bytes, want 8", key, len(v))
			}
			n = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	return n, err
}

// write queues one entry for the log: all of its writes are in Badger
// after a crash, or none. It returns the entry's LSN, for wait. Entries
// are logged in the order of the calls to write.
func (j *journal) write(writes []write) (uint64, error) {
	e := &entry{writes: writes}
	for _, w := range writes {
		e.size += len(w.key) + len(w.value)
	}
	if j.log != nil {
		e.payload = encodeWrites(writes, e.size)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.readyBytes > maxReadyBytes && j.err == nil {
		j.cond.Wait() // Badger is far behind
	}
	switch {
	case j.err != nil:
		return 0, j.err
	case j.closed:
		return 0, ErrClosed
	}
	e.lsn = j.next
	j.next++
	if j.log == nil {
		j.readyLocked([]*entry{e})
	} else {
		j.open.entries = append(j.open.entries, e)
	}
	return e.lsn, nil
}

// wait returns once entry lsn is durable. The first waiter finding no
// sync under way gathers (below), then writes every entry queued so far
// to the log with one write and one fdatasync, for everyone. Only one
// goroutine at a time writes the log, and a write never lands in a page
// the previous sync is still writing back, which would wait for it.
func (j *journal) wait(lsn uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.durable < lsn && j.err == nil {
		switch {
		case j.log == nil:
			j.cond.Wait() // the applier makes it durable
			continue
		case j.syncing:
			// While the syncer gathers, nothing is in flight and every
			// entry before the open group is durable.
			g := j.open
			if lsn < g.first {
				g = j.inflight
			}
			g.cond.Wait()
			continue
		}
		j.syncing = true
		j.gather()
		g := j.open
		j.inflight, j.open = g, j.newGroup()
		j.mu.Unlock()
		start := time.Now()
		err := j.logBatch(g.entries)
		took := time.Since(start)
		j.mu.Lock()
		j.syncing, j.inflight = false, nil
		if err != nil {
			j.fail(err)
			g.cond.Broadcast()
			break
		}
		j.syncTime += (took - j.syncTime) / 8
		j.durable = g.entries[len(g.entries)-1].lsn
		j.readyLocked(g.entries)
		g.cond.Broadcast()
		if len(j.open.entries) > 0 {
			j.open.cond.Signal() // the next syncer
		}
	}
	if j.durable >= lsn {
		return nil
	}
	return j.err
}

// gather lets the committers that wait for a processor queue their
// entries before the syncer syncs: it yields the processor for as long
// as other goroutines run in its place, up to twice the time a sync
// takes. An fdatasync costs, besides its wait, 50 to 80 µs of CPU on the
// virtual machines measured, so on a saturated machine one sync for more
// commits is more commits a second; on a machine with a processor to
// spare the first yield comes straight back and nothing waits. Called
// with j.mu held.
func (j *journal) gather() {
	deadline := time.Now().Add(min(2*j.syncTime, maxGather))
	for {
		j.mu.Unlock()
		start := time.Now()
		runtime.Gosched()
		now := time.Now()
		j.mu.Lock()
		if now.Sub(start) < busyYield || now.After(deadline) {
			return
		}
	}
}

// logBatch appends entries to the log and syncs it.
func (j *journal) logBatch(batch []*entry) error {
	payloads := make([][]byte, len(batch))
	for i, e := range batch {
		payloads[i] = e.payload
		e.payload = nil
	}
	first, err := j.log.Append(payloads)
	if err != nil {
		// The log may hold part of the batch: nothing can be appended
		// after it, and a restart replays what is whole.
		return err
	}
	if first != batch[0].lsn {
		return fmt.Errorf("log assigned LSN %d to entry %d", first, batch[0].lsn)
	}
	return j.log.Sync()
}

// writeWait writes one entry and waits until it is durable.
func (j *journal) writeWait(writes []write) error {
	lsn, err := j.write(writes)
	if err != nil {
		return err
	}
	return j.wait(lsn)
}

// readyLocked hands durable entries to the applier. Called with j.mu held.
func (j *journal) readyLocked(es []*entry) {
	j.ready = append(j.ready, es...)
	for _, e := range es {
		j.readyBytes += e.size
	}
	signal(j.wake)
}

// fail stops the journal after a write failed. Called with j.mu held.
func (j *journal) fail(err error) {
	if j.err == nil {
		j.err = fmt.Errorf("datastore journal: %w", err)
	}
	j.cond.Broadcast()
	j.open.cond.Broadcast()
	if j.inflight != nil {
		j.inflight.cond.Broadcast()
	}
}

// apply is the applier: it writes durable entries to Badger and releases
// the log segments Badger then holds. With a log, it lets entries gather
// for applyInterval, unless much is waiting or a reader needs Badger up to
// date: each Badger write ends in a sync, which competes for the disk
// with the log's, which commits wait for. In memory, entries are written
// as they come, since they are durable only then.
func (j *journal) apply() {
	defer close(j.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		<-j.wake
		j.mu.Lock()
		hurry := j.log == nil || j.closed || j.readyBytes >= maxApplyBytes
		j.mu.Unlock()
		if !hurry {
			timer.Reset(applyInterval)
			select {
			case <-timer.C:
			case <-j.kick:
				timer.Stop()
			}
		}
		j.mu.Lock()
		batch, closed := j.ready, j.closed
		j.ready, j.readyBytes = nil, 0
		j.mu.Unlock()
		if len(batch) > 0 {
			j.applyBatch(batch)
		}
		if closed {
			return
		}
	}
}

// applyBatch writes a batch to Badger and releases the log segments
// Badger then holds, before it says so: whoever waited for the batch
// finds the log already trimmed.
func (j *journal) applyBatch(batch []*entry) {
	err := j.toBadger(batch)
	last := batch[len(batch)-1].lsn
	if err == nil && j.log != nil {
		if rerr := j.log.Release(last); rerr != nil {
			j.logger.Warn("releasing write-ahead log segments", "err", rerr)
		}
	}
	j.mu.Lock()
	if err != nil {
		j.fail(err)
	} else {
		j.applied = last
		if j.log == nil {
			j.durable = last
		}
	}
	j.cond.Broadcast()
	j.mu.Unlock()
	if err != nil && j.log != nil {
		j.failed(err)
	}
}

// toBadger writes entries to Badger with the LSN of the last; Badger
// splits them into as many transactions as it needs.
func (j *journal) toBadger(batch []*entry) error {
	wb := j.db.NewWriteBatch()
	defer wb.Cancel()
	for _, e := range batch {
		if err := writeBatch(wb, e.writes); err != nil {
			return fmt.Errorf("writing to the datastore: %w", err)
		}
	}
	if err := wb.Set(journalKey, binary.BigEndian.AppendUint64(nil, batch[len(batch)-1].lsn)); err != nil {
		return fmt.Errorf("writing to the datastore: %w", err)
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("writing to the datastore: %w", err)
	}
	return nil
}

func writeBatch(wb *badger.WriteBatch, ws []write) error {
	for _, w := range ws {
		var err error
		if w.del {
			err = wb.Delete(w.key)
		} else {
			err = wb.Set(w.key, w.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// barrier waits until everything durable so far is in Badger, for those
// who read Badger.
func (j *journal) barrier() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	target := j.durable
	if j.applied < target {
		signal(j.kick)
	}
	for j.applied < target && j.err == nil {
		j.cond.Wait()
	}
	return j.err
}

// close syncs what is written, waits for it to be in Badger, stops the
// applier and closes the log. Nothing may be written after.
func (j *journal) close() error {
	j.mu.Lock()
	last := j.next - 1
	j.mu.Unlock()
	err := j.wait(last)
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	signal(j.wake)
	signal(j.kick)
	<-j.done
	if j.log == nil {
		return err
	}
	if err == nil {
		if err := j.log.Release(j.applied); err != nil {
			j.logger.Warn("releasing write-ahead log segments", "err", err)
		}
	}
	return errors.Join(err, j.log.Close())
}

// signal wakes whoever waits on c, if no wake-up is pending already.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// encodeWrites encodes writes for the log: per write, a kind byte (0 set,
// 1 delete), the key and, for a set, the value, each after its length as
// a uvarint.
func encodeWrites(ws []write, size int) []byte {
	b := make([]byte, 0, size+len(ws)*(1+2*binary.MaxVarintLen32))
	for _, w := range ws {
		if w.del {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(len(w.key)))
		b = append(b, w.key...)
		if !w.del {
			b = binary.AppendUvarint(b, uint64(len(w.value)))
			b = append(b, w.value...)
		}
	}
	return b
}

var errBadEntry = errors.New("malformed journal entry")

func decodeWrites(b []byte) ([]write, error) {
	var ws []write
	field := func() ([]byte, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, errBadEntry
		}
		v := b[k : k+int(n) : k+int(n)]
		b = b[k+int(n):]
		return v, nil
	}
	for len(b) > 0 {
		kind := b[0]
		b = b[1:]
		key, err := field()
		if err != nil {
			return nil, err
		}
		switch kind {
		case 0:
			v, err := field()
			if err != nil {
				return nil, err
			}
			ws = append(ws, setKey(key, v))
		case 1:
			ws = append(ws, delKey(key))
		default:
			return nil, errBadEntry
		}
	}
	return ws, nil
}
