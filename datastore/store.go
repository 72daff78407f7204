package datastore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/openconfig/ygot/ygot"

	"github.com/nwmo/nwmo/datastore/tree"
)

// Store is the datastore. It is safe for concurrent use.
type Store struct {
	opts    Options
	log     *slog.Logger
	db      *badger.DB
	journal *journal
	device  *Model // the elements' OpenConfig model
	own     *Model // nwmo's own model
	pusher  Pusher

	mu          sync.RWMutex
	targets     map[string]*target // nwmo, the elements, and kept ones
	inInventory map[string]bool
	candidates  map[string]*candidate
	states      map[string]*stateTree

	lastID    atomic.Uint64 // the highest commit id handed out
	feed      *feed
	stateFeed *feed
	// historyFeed carries the changes of the history and the candidates,
	// in the order they happen: see HistoryChange.
	historyFeed *feed
	seq         *sequencer
	hist        *history

	// pruneDue wakes the history's pruner; pruning lets one run at a time;
	// readers of a commit's change hold pruneMu shared, the pruner holds
	// it while it drops headers.
	pruneDue chan struct{}
	pruning  sync.Mutex
	pruneMu  sync.RWMutex

	// gate serialises confirmed commits against every other commit (they
	// take it shared): while one is pending, others are refused.
	gate    sync.RWMutex
	confirm *pendingConfirm // guarded by gate

	broken atomic.Pointer[error] // set when a durable write failed
	closed atomic.Bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

// Open opens (or creates) the store in opts.Dir and recovers its state.
func Open(opts Options) (*Store, error) {
	def := DefaultOptions(opts.Dir)
	if opts.Logger == nil {
		opts.Logger = def.Logger
	}
	if opts.Pusher == nil {
		opts.Pusher = def.Pusher
	}
	if opts.Now == nil {
		opts.Now = def.Now
	}
	if opts.SnapshotEvery <= 0 {
		opts.SnapshotEvery = def.SnapshotEvery
	}
	if opts.HistoryCommits <= 0 {
		opts.HistoryCommits = def.HistoryCommits
	}
	if opts.DefaultConfirmTimeout <= 0 {
		opts.DefaultConfirmTimeout = def.DefaultConfirmTimeout
	}
	device, own, err := Models()
	if err != nil {
		return nil, fmt.Errorf("compiling models: %w", err)
	}
	bopts := badger.DefaultOptions(opts.Dir).
		WithSyncWrites(true).
		WithLogger(badgerLogger{opts.Logger}).
		WithInMemory(opts.InMemory)
	if opts.InMemory {
		bopts = bopts.WithDir("").WithValueDir("")
	}
	db, err := badger.Open(bopts)
	if err != nil {
		return nil, fmt.Errorf("opening datastore in %s: %w", opts.Dir, err)
	}
	s := &Store{
		opts:        opts,
		log:         opts.Logger,
		db:          db,
		device:      device,
		own:         own,
		pusher:      opts.Pusher,
		targets:     map[string]*target{},
		inInventory: map[string]bool{},
		candidates:  map[string]*candidate{},
		states:      map[string]*stateTree{},
		feed:        newFeed(opts.FeedSize),
		stateFeed:   newFeed(opts.FeedSize),
		historyFeed: newFeed(opts.FeedSize),
		pruneDue:    make(chan struct{}, 1),
		stop:        make(chan struct{}),
	}
	s.hist = newHistory(s.historyFeed.publish, opts.Now)
	jdir := ""
	if !opts.InMemory {
		jdir = filepath.Join(opts.Dir, journalDir)
	}
	if s.journal, err = openJournal(db, jdir, opts.JournalSegmentSize, opts.Logger, s.fail); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the datastore's write-ahead log: %w", err)
	}
	if err := s.recover(); err != nil {
		s.journal.close()
		db.Close()
		return nil, err
	}
	s.seq = newSequencer(s.lastID.Load()+1, s.feed.publish)
	s.startConfirmAlarms()
	s.startConfirmTimer()
	s.startPruner()
	return s, nil
}

// Close stops the timers and background work, waits for them, and closes
// Badger. It is safe to call more than once.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.stop)
	s.gate.Lock()
	if s.confirm != nil {
		s.confirm.timer.Stop()
	}
	s.gate.Unlock()
	s.wg.Wait()
	s.snapshotAll()
	jerr := s.journal.close()
	s.feed.close()
	s.stateFeed.close()
	s.historyFeed.close()
	return errors.Join(jerr, s.db.Close())
}

func (s *Store) usable() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if e := s.broken.Load(); e != nil {
		return fmt.Errorf("%w: a durable write failed, restart nwmod: %v", ErrClosed, *e)
	}
	return nil
}

// View calls fn with the running configuration of target (an element,
// nwmo, or ELEMENT@CANDIDATE for a candidate's view) while holding its
// read lock. fn must neither keep nor modify root.
func (s *Store) View(name string, fn func(root ygot.GoStruct, sc *tree.Schema) error) error {
	if err := s.usable(); err != nil {
		return err
	}
	element, cand := splitTarget(name)
	if cand != "" {
		return s.viewCandidate(element, cand, fn)
	}
	t, err := s.lookup(element)
	if err != nil {
		return err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return fn(t.root, t.model.Schema)
}

// Schema returns the schema of a target's configuration.
func (s *Store) Schema(name string) *tree.Schema {
	if element, _ := splitTarget(name); element == ServerTarget {
		return s.own.Schema
	}
	return s.device.Schema
}

// LastID is the id of the newest commit.
func (s *Store) LastID() uint64 { return s.lastID.Load() }

// badgerLogger sends Badger's log to slog, its chatter at debug level.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	b.l.Error("badger: " + fmt.Sprintf(f, a...))
}
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn("badger: " + fmt.Sprintf(f, a...))
}
func (b badgerLogger) Infof(f string, a ...any) {
	b.l.Debug("badger: " + fmt.Sprintf(f, a...))
}
func (b badgerLogger) Debugf(f string, a ...any) {
	b.l.Debug("badger: " + fmt.Sprintf(f, a...))
}

// isContextErr reports whether err is a context's cancellation or expiry.
func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
