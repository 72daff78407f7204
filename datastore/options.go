package datastore

import (
	"log/slog"
	"time"
)

// Options configure a Store. Start from DefaultOptions and change what you
// need with the With methods, which return a modified copy.
type Options struct {
	// Dir is where Badger keeps its files.
	Dir string
	// InMemory keeps everything in memory: for unit tests only, it is not
	// durable.
	InMemory bool
	Logger   *slog.Logger
	Pusher   Pusher
	// SnapshotEvery is how many changed leaves of a target, since its last
	// snapshot, trigger a new one; it bounds the log replayed on restart.
	SnapshotEvery int
	// FeedSize is how many commits the watch feed keeps for watchers that
	// fall behind before they must resynchronise.
	FeedSize int
	// HistoryCommits is how many of the newest commits the history keeps,
	// with their changes, for History, Commit and Rollback. Older ones are
	// removed from memory and disk in batches, so at most twice as many
	// are kept at any time.
	HistoryCommits int
	// DefaultConfirmTimeout is the rollback timer of a confirmed commit
	// that gives none (the OpenConfig specification says 10 minutes).
	DefaultConfirmTimeout time.Duration
	// JournalSegmentSize is the size of the write-ahead log's segments;
	// zero means 64 MiB.
	JournalSegmentSize int64
	// Now is the clock, replaceable in tests.
	Now func() time.Time
}

// DefaultOptions returns the options of a durable store in dir.
func DefaultOptions(dir string) Options {
	return Options{
		Dir:                   dir,
		Logger:                slog.New(slog.DiscardHandler),
		Pusher:                noPusher{},
		SnapshotEvery:         50_000,
		FeedSize:              4096,
		HistoryCommits:        10_000,
		DefaultConfirmTimeout: 10 * time.Minute,
		Now:                   time.Now,
	}
}

// WithInMemory returns o with an in-memory Badger (tests only).
func (o Options) WithInMemory(b bool) Options { o.InMemory = b; return o }

// WithLogger returns o with logger l.
func (o Options) WithLogger(l *slog.Logger) Options { o.Logger = l; return o }

// WithPusher returns o with pusher p.
func (o Options) WithPusher(p Pusher) Options { o.Pusher = p; return o }

// WithSnapshotEvery returns o with the snapshot threshold n.
func (o Options) WithSnapshotEvery(n int) Options { o.SnapshotEvery = n; return o }

// WithFeedSize returns o with a watch feed of n commits.
func (o Options) WithFeedSize(n int) Options { o.FeedSize = n; return o }

// WithHistoryCommits returns o with a history of the newest n commits.
func (o Options) WithHistoryCommits(n int) Options { o.HistoryCommits = n; return o }

// WithClock returns o with the clock now.
func (o Options) WithClock(now func() time.Time) Options { o.Now = now; return o }
