package server

import (
	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// pattern is a subscription path compiled for matching the leaves of every
// commit: the wildcards resolved once, so that matching a leaf compares
// only the names and key values the path pins down.
type pattern []patElem

type patElem struct {
	name     string // "" matches any name
	anyLevel bool   // "...": any number of levels
	keys     []keyValue
}

type keyValue struct{ k, v string }

func compilePattern(path []*gpb.PathElem) pattern {
	p := make(pattern, len(path))
	for i, e := range path {
		switch e.GetName() {
		case anyLevel:
			p[i].anyLevel = true
			continue
		case anyOne:
		default:
			p[i].name = e.GetName()
		}
		for k, v := range e.GetKey() {
			if v != anyOne {
				p[i].keys = append(p[i].keys, keyValue{k, v})
			}
		}
	}
	return p
}

// covers reports whether path (a leaf's, without wildcards) lies in the
// subtree the pattern selects: whether the pattern matches path or one of
// its ancestors.
func (p pattern) covers(path []*gpb.PathElem) bool {
	for i := range p {
		pe := &p[i]
		if pe.anyLevel {
			rest := p[i+1:]
			if len(rest) == 0 {
				return true
			}
			for j := i; j <= len(path); j++ {
				if rest.covers(path[j:]) {
					return true
				}
			}
			return false
		}
		if i >= len(path) {
			return false
		}
		e := path[i]
		if pe.name != "" && pe.name != e.GetName() {
			return false
		}
		for _, kv := range pe.keys {
			if e.GetKey()[kv.k] != kv.v {
				return false
			}
		}
	}
	return true
}
