package audit

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendJSON appends r as encoding/json would write it, without its
// reflection: a record is written for every Set.
func (r *Record) appendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = r.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","user":`...)
	b = appendString(b, r.User)
	if r.Peer != "" {
		b = append(b, `,"peer":`...)
		b = appendString(b, r.Peer)
	}
	b = append(b, `,"rpc":`...)
	b = appendString(b, r.RPC)
	if r.Target != "" {
		b = append(b, `,"target":`...)
		b = appendString(b, r.Target)
	}
	if len(r.Ops) > 0 {
		b = append(b, `,"ops":[`...)
		for i, op := range r.Ops {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"op":`...)
			b = appendString(b, op.Op)
			b = append(b, `,"path":`...)
			b = appendString(b, op.Path)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Subject != "" {
		b = append(b, `,"subject":`...)
		b = appendString(b, r.Subject)
	}
	if r.Commit != 0 {
		b = append(b, `,"commit":`...)
		b = strconv.AppendUint(b, r.Commit, 10)
	}
	b = append(b, `,"code":`...)
	b = appendString(b, r.Code)
	if r.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, r.Error)
	}
	return append(b, '}')
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters included), invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
