package datastore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// The Badger key space. Every commit is a header under its id and a body
// in chunks; the header is written last (with the last chunks, in one
// Badger transaction), so a commit exists after a crash only if all of it
// does. Chunking keeps each Badger transaction far below its size limit
// (about 15% of a memtable, ~9.6 MiB by default) whatever the size of the
// change: a 100,000-interface replace is many transactions, and still one
// atomic commit.
const (
	prefixHeader      = 'm' // m<id>                -> Header (JSON)
	prefixBody        = 'b' // b<id><chunk>         -> body chunk
	prefixSnapHeader  = 's' // s<target>            -> snapshotHeader (JSON)
	prefixSnapChunk   = 'S' // S<target>\x00<gen><chunk> -> snapshot chunk (JSON_IETF of the tree)
	prefixCandidate   = 'c' // c<name>              -> candidateHeader (JSON)
	prefixCandidateOp = 'C' // C<name>\x00<seq>     -> one candidate write (a SetRequest)

	chunkSize    = 1 << 20 // bytes of body per Badger entry
	chunksPerTxn = 4       // body chunks per Badger transaction
	maxOpsPerTxn = 10_000  // deletes per Badger transaction when cleaning up
)

func u64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func headerKey(id uint64) []byte { return u64([]byte{prefixHeader}, id) }

func bodyKey(id uint64, chunk int) []byte {
	return binary.BigEndian.AppendUint32(u64([]byte{prefixBody}, id), uint32(chunk))
}

func snapHeaderKey(target string) []byte { return append([]byte{prefixSnapHeader}, target...) }

func snapChunkPrefix(target string, gen uint64) []byte {
	return u64(append(append([]byte{prefixSnapChunk}, target...), 0), gen)
}

func candidateKey(name string) []byte { return append([]byte{prefixCandidate}, name...) }

func candidateOpPrefix(name string) []byte {
	return append(append([]byte{prefixCandidateOp}, name...), 0)
}

func chunks(body []byte) [][]byte {
	var out [][]byte
	for len(body) > chunkSize {
		out = append(out, body[:chunkSize])
		body = body[chunkSize:]
	}
	return append(out, body)
}

// writeCommit makes a commit durable: the leading body chunks in
// transactions of their own (synchronously), then the last chunks, the
// header and extra writes in one transaction, committed asynchronously;
// done is called once it is on disk. Badger groups concurrent commits
// into one fsync.
func (s *Store) writeCommit(h *Header, body []byte, extra func(*badger.Txn) error, done func(error)) {
	parts := chunks(body)
	h.Chunks = len(parts)
	for len(parts) > chunksPerTxn {
		batch := parts[:chunksPerTxn]
		start := h.Chunks - len(parts)
		err := s.db.Update(func(txn *badger.Txn) error {
			for i, c := range batch {
				if err := txn.Set(bodyKey(h.ID, start+i), c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			done(fmt.Errorf("writing commit %d: %w", h.ID, err))
			return
		}
		parts = parts[chunksPerTxn:]
	}
	start := h.Chunks - len(parts)
	hb, err := json.Marshal(h)
	if err != nil {
		done(err)
		return
	}
	size := len(hb)
	for _, c := range parts {
		size += len(c)
	}
	s.logw.submit(size, func(txn *badger.Txn) error {
		for i, c := range parts {
			if err := txn.Set(bodyKey(h.ID, start+i), c); err != nil {
				return err
			}
		}
		if err := txn.Set(headerKey(h.ID), hb); err != nil {
			return err
		}
		if extra != nil {
			return extra(txn)
		}
		return nil
	}, func(err error) {
		if err != nil {
			err = fmt.Errorf("writing commit %d: %w", h.ID, err)
		}
		done(err)
	})
}

// writeHeader rewrites a commit's header (its status changed), waiting for
// it to be durable when sync is set.
func (s *Store) writeHeader(h Header, sync bool) error {
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	result := make(chan error, 1)
	s.logw.submit(len(hb), func(txn *badger.Txn) error {
		return txn.Set(headerKey(h.ID), hb)
	}, func(err error) {
		if err != nil {
			s.log.Error("writing commit status", "id", h.ID, "status", h.Status, "err", err)
		}
		result <- err
	})
	if sync {
		return <-result
	}
	return nil
}

// readBody reads the change of commit h.
func (s *Store) readBody(h Header) ([]TargetChange, error) {
	var body []byte
	err := s.db.View(func(txn *badger.Txn) error {
		for i := 0; i < h.Chunks; i++ {
			item, err := txn.Get(bodyKey(h.ID, i))
			if err != nil {
				return fmt.Errorf("commit %d chunk %d: %w", h.ID, i, err)
			}
			if err := item.Value(func(v []byte) error { body = append(body, v...); return nil }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return decodeBody(body)
}

// deletePrefix removes every key under prefix, in bounded transactions.
func (s *Store) deletePrefix(prefix []byte) error {
	for {
		var keys [][]byte
		err := s.db.View(func(txn *badger.Txn) error {
			opts := badger.DefaultIteratorOptions
			opts.PrefetchValues = false
			opts.Prefix = prefix
			it := txn.NewIterator(opts)
			defer it.Close()
			for it.Rewind(); it.Valid() && len(keys) < maxOpsPerTxn; it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			return nil
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		err = s.db.Update(func(txn *badger.Txn) error {
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}
