package wal

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// The direct writer's block arithmetic, on a file opened normally: what
// it writes must read back as the plain concatenation of the appends,
// zero after their end, in whole aligned blocks from aligned memory.
func TestDirectWriterKeepsTheFileWhole(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "seg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := segHeader(1)
	if _, err := f.Write(head); err != nil {
		t.Fatal(err)
	}
	w := newDirectWriter(f, head)
	want := append([]byte(nil), head...)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		// Mostly small appends within a block, some across several.
		n := 1 + rng.IntN(300)
		if i%17 == 0 {
			n = 3*directBlock + rng.IntN(directBlock)
		}
		p := make([]byte, n)
		for j := range p {
			p[j] = byte(1 + rng.IntN(255))
		}
		if err := w.writeAt(p, int64(len(want))); err != nil {
			t.Fatal(err)
		}
		want = append(want, p...)
		if w.buf != nil && uintptr(unsafe.Pointer(&w.buf[0]))%directBlock != 0 {
			t.Fatalf("append %d: the write buffer is not aligned", i)
		}
		got, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if len(got)%directBlock != 0 {
			t.Fatalf("append %d: file is %d bytes, not whole blocks", i, len(got))
		}
		if !bytes.Equal(got[:len(want)], want) {
			t.Fatalf("append %d: the file differs from what was appended", i)
		}
		if bytes.ContainsFunc(got[len(want):], func(r rune) bool { return r != 0 }) {
			t.Fatalf("append %d: bytes after the end are not zero", i)
		}
	}
}
