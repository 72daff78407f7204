// Command canonschema makes the schema that ygot's generator embeds in a
// generated package's schema.go the same on every run.
//
// goyang applies augments in map order, so the "Augmented" lists of the
// schema's entries come out in a different order each time and `make gen`
// would never reproduce the committed code. The lists are informative only
// (nothing reads their order), so this sorts each one and re-encodes the
// schema, leaving the rest of the file as the generator wrote it.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"
)

const (
	start = "\tySchema = []byte{\n"
	end   = "\n\t}\n"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: canonschema path/to/schema.go")
	}
	path := os.Args[1]
	src, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	text := string(src)
	i := strings.Index(text, start)
	if i < 0 {
		log.Fatalf("canonschema: %s has no ySchema byte slice", path)
	}
	body := i + len(start)
	j := strings.Index(text[body:], end)
	if j < 0 {
		log.Fatalf("canonschema: %s: unterminated ySchema", path)
	}
	j += body

	schema, err := canonical(parseBytes(text[body:j]))
	if err != nil {
		log.Fatalf("canonschema: %s: %v", path, err)
	}
	out := text[:body] + formatBytes(schema) + text[j:]
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		log.Fatal(err)
	}
}

func parseBytes(lit string) []byte {
	var b []byte
	for _, f := range strings.FieldsFunc(lit, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		v, err := strconv.ParseUint(f, 0, 8)
		if err != nil {
			log.Fatalf("canonschema: bad byte %q", f)
		}
		b = append(b, byte(v))
	}
	return b
}

func formatBytes(b []byte) string {
	var s strings.Builder
	for i := 0; i < len(b); i += 16 {
		s.WriteString("\t\t")
		for k := i; k < i+16 && k < len(b); k++ {
			if k > i {
				s.WriteByte(' ')
			}
			fmt.Fprintf(&s, "0x%02x,", b[k])
		}
		if i+16 < len(b) {
			s.WriteByte('\n')
		}
	}
	return s.String()
}

// canonical decompresses the schema, sorts every Augmented list and
// compresses it again, with no timestamp in the gzip header.
func canonical(gz []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if err := sortAugmented(doc); err != nil {
		return nil, err
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(js); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func sortAugmented(v any) error {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if err := sortAugmented(child); err != nil {
				return err
			}
			if list, ok := child.([]any); ok && k == "Augmented" {
				keys := make([]string, len(list))
				for i, e := range list {
					b, err := json.Marshal(e)
					if err != nil {
						return err
					}
					keys[i] = string(b)
				}
				sort.Sort(byKey{list, keys})
			}
		}
	case []any:
		for _, child := range v {
			if err := sortAugmented(child); err != nil {
				return err
			}
		}
	}
	return nil
}

type byKey struct {
	list []any
	keys []string
}

func (b byKey) Len() int           { return len(b.list) }
func (b byKey) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey) Swap(i, j int) {
	b.list[i], b.list[j] = b.list[j], b.list[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}
