package datastore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// The Badger key space. Every commit is a header under its id and a body
// in chunks, all written as one journal entry: a commit is in Badger after
// a crash whole, or not at all. Chunking keeps each value far below the
// size of a Badger transaction (about 15% of a memtable, ~9.6 MiB by
// default), which the journal splits a large entry into.
const (
	prefixHeader       = 'm' // m<id>                -> Header (JSON)
	prefixBody         = 'b' // b<id><chunk>         -> body chunk
	prefixSnapHeader   = 's' // s<target>            -> snapshotHeader (JSON)
	prefixSnapChunk    = 'S' // S<target>\x00<gen><chunk> -> snapshot chunk (JSON_IETF of the tree)
	prefixCandidate    = 'c' // c<name>              -> candidateHeader (JSON)
	prefixCandidateOp  = 'C' // C<name>\x00<seq>     -> one candidate write (a SetRequest)
	prefixJournal      = 'w' // w                    -> LSN of the last journal entry in Badger
	prefixHistoryFloor = 'h' // h                   -> highest commit id pruned from the history

	chunkSize    = 1 << 20 // bytes of body per Badger entry
	chunksPerTxn = 4       // snapshot chunks per Badger transaction
	maxOpsPerTxn = 10_000  // deletes per journal entry when cleaning up
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

// writeCommit writes a commit, its body chunks, its header and extra
// writes, as one journal entry; it is durable once the journal's wait for
// the LSN returns. Concurrent commits share one fdatasync.
func (s *Store) writeCommit(h *Header, body []byte, extra []write) (uint64, error) {
	parts := chunks(body)
	h.Chunks = len(parts)
	hb, err := json.Marshal(h)
	if err != nil {
		return 0, err
	}
	writes := make([]write, 0, len(parts)+1+len(extra))
	for i, c := range parts {
		writes = append(writes, setKey(bodyKey(h.ID, i), c))
	}
	writes = append(append(writes, setKey(headerKey(h.ID), hb)), extra...)
	lsn, err := s.journal.write(writes)
	if err != nil {
		return 0, fmt.Errorf("writing commit %d: %w", h.ID, err)
	}
	return lsn, nil
}

// writeCommitWait writes a commit and waits until it is durable.
func (s *Store) writeCommitWait(h *Header, body []byte) error {
	lsn, err := s.writeCommit(h, body, nil)
	if err == nil {
		err = s.journal.wait(lsn)
	}
	return err
}

// writeHeader rewrites a commit's header (its status changed), waiting for
// it to be durable when sync is set.
func (s *Store) writeHeader(h Header, sync bool) error {
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	lsn, err := s.journal.write([]write{setKey(headerKey(h.ID), hb)})
	if err == nil && sync {
		err = s.journal.wait(lsn)
	}
	if err != nil {
		s.log.Error("writing commit status", "id", h.ID, "status", h.Status, "err", err)
	}
	return err
}

// readBody reads the change of commit h.
func (s *Store) readBody(h Header) ([]TargetChange, error) {
	if err := s.journal.barrier(); err != nil {
		return nil, err
	}
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

// deletePrefix removes every key under prefix, in bounded journal
// entries.
func (s *Store) deletePrefix(prefix []byte) error {
	if err := s.journal.barrier(); err != nil {
		return err
	}
	for {
		var dels []write
		err := s.db.View(func(txn *badger.Txn) error {
			opts := badger.DefaultIteratorOptions
			opts.PrefetchValues = false
			opts.Prefix = prefix
			it := txn.NewIterator(opts)
			defer it.Close()
			for it.Rewind(); it.Valid() && len(dels) < maxOpsPerTxn; it.Next() {
				dels = append(dels, delKey(it.Item().KeyCopy(nil)))
			}
			return nil
		})
		if err != nil || len(dels) == 0 {
			return err
		}
		if err := s.journal.writeWait(dels); err != nil {
			return err
		}
		// The next scan must see these deletes.
		if err := s.journal.barrier(); err != nil {
			return err
		}
	}
}
