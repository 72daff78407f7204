// Package wal is nwmo's write-ahead log: the commit records of the
// datastore, appended by one writer and made durable together by one
// fdatasync, before they are written to Badger behind it.
//
// The log is a directory of segments, each preallocated to a fixed size
// so that an fdatasync writes data blocks only and never waits for the
// file system's journal to record a new file size: on the disk nwmo was
// measured on that halves the cost of a sync (about 90 µs against 150 µs
// at the median). Where the file system allows it, records are written
// with direct I/O in whole blocks (direct.go), so that the fdatasync only
// flushes the device's cache. Segments whose records are all safely
// elsewhere are released: recycled as the next segment, or removed.
//
// A segment starts with a 16-byte header, the magic "NWMOWAL1" and the
// sequence number (LSN) of its first record. Each record is
//
//	length  uint32   bytes of payload
//	crc     uint32   CRC-32C of the LSN and the payload
//	lsn     uint64   one more than the previous record's
//	payload
//
// all big-endian. Reading stops at the first record that is not whole and
// next in sequence: a zero length (a preallocated segment's unwritten
// tail), a bad checksum (a write torn by a crash), or a different LSN (what
// a recycled segment held before). A record is acknowledged only after an
// fdatasync that covers it and every record before it, so whatever follows
// the first bad record was never acknowledged.
package wal
