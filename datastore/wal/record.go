package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

const (
	magic          = "NWMOWAL1"
	segHeaderSize  = 16
	recHeaderSize  = 16
	maxRecordBytes = 1 << 31 // far above any commit; guards against reading a huge garbage length
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord appends a record's header and payload to buf.
func appendRecord(buf []byte, lsn uint64, payload []byte) []byte {
	var h [recHeaderSize]byte
	binary.BigEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.BigEndian.PutUint64(h[8:16], lsn)
	crc := crc32.Update(crc32.Checksum(h[8:16], castagnoli), castagnoli, payload)
	binary.BigEndian.PutUint32(h[4:8], crc)
	return append(append(buf, h[:]...), payload...)
}

func segHeader(base uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(magic), base)
}

// errBadSegment is a segment whose header is not one this log wrote.
var errBadSegment = errors.New("not a log segment")

// readSegment reads a segment's intact records in order, calling fn for
// each (fn may keep the payload), and returns the segment's base LSN and the LSN after its last
// intact record (base when it has none).
func readSegment(path string, fn func(lsn uint64, payload []byte) error) (base, next uint64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var h [recHeaderSize]byte
	if _, err := io.ReadFull(r, h[:segHeaderSize]); err != nil || string(h[:8]) != magic {
		return 0, 0, fmt.Errorf("%s: %w", path, errBadSegment)
	}
	base = binary.BigEndian.Uint64(h[8:16])
	next = base
	remaining := st.Size() - segHeaderSize
	for remaining >= recHeaderSize {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			break
		}
		remaining -= recHeaderSize
		n := int64(binary.BigEndian.Uint32(h[0:4]))
		if n == 0 || n > remaining || n > maxRecordBytes || binary.BigEndian.Uint64(h[8:16]) != next {
			break
		}
		payload := make([]byte, n) // fn may keep it
		if _, err := io.ReadFull(r, payload); err != nil {
			break
		}
		remaining -= n
		crc := crc32.Update(crc32.Checksum(h[8:16], castagnoli), castagnoli, payload)
		if crc != binary.BigEndian.Uint32(h[4:8]) {
			break
		}
		if err := fn(next, payload); err != nil {
			return base, next, err
		}
		next++
	}
	return base, next, nil
}
