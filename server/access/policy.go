// Package access is nwmod's access policy: its users, how they prove who
// they are (a password checked against a bcrypt hash, or a client
// certificate), and what each may read, write and subscribe to, per
// target and path prefix. The policy is a YAML file:
//
//	users:
//	  alice:
//	    password-hash: $2a$10$...   # nwmo hash-password
//	    roles: [admin]
//	  robot:                        # no password: client certificate CN=robot only
//	    roles: [core-writer]
//	roles:
//	  admin:
//	    - actions: [read, write, subscribe]   # every target, every path
//	  core-writer:
//	    - targets: [core-*]
//	      paths: [/interfaces, /system/config]
//	      actions: [read, write, subscribe]
//
// Grants only add: a user may do what one of their roles' rules allows,
// and nothing else.
package access

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"
)

// Action is what a request does with the data it names.
type Action uint8

const (
	Read      Action = iota // Get, and the admin service's reads
	Write                   // Set, and the admin service's changes
	Subscribe               // Subscribe
)

var actionNames = [...]string{Read: "read", Write: "write", Subscribe: "subscribe"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", a)
}

// Policy is one version of the access file. It is safe for concurrent
// use.
type Policy struct {
	users map[string]*user
	// salt keys the digests of the passwords already verified, so that
	// they are worth nothing outside this process.
	salt [32]byte
	// bcrypts bounds the bcrypt comparisons running at once: each takes
	// about 50 ms of CPU at bcrypt's default cost (measured here), and a flood of wrong passwords must
	// not take every core from the requests of those who gave the right
	// one.
	bcrypts chan struct{}
}

type user struct {
	name   string
	hash   []byte // bcrypt; nil: client certificate only
	grants []grant
	// verified is the keyed digest of the last password bcrypt accepted:
	// gnmic sends the password with every RPC, and a bcrypt comparison
	// per Set would cost more than the Set.
	verified atomic.Pointer[[32]byte]
}

// grant is one rule of a role.
type grant struct {
	actions [3]bool
	targets []string          // glob patterns (path.Match); none: every target
	paths   [][]*gpb.PathElem // prefixes; none: the root
}

// file is the YAML form of a policy.
type file struct {
	Users map[string]struct {
		PasswordHash string   `yaml:"password-hash"`
		Roles        []string `yaml:"roles"`
	} `yaml:"users"`
	Roles map[string][]struct {
		Targets []string `yaml:"targets"`
		Paths   []string `yaml:"paths"`
		Actions []string `yaml:"actions"`
	} `yaml:"roles"`
}

// Load reads and checks the access file at name.
func Load(name string) (*Policy, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("access file: %w", err)
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("access file %s: %w", name, err)
	}
	return p, nil
}

// Parse checks and compiles an access policy in its YAML form. Unknown
// keys, unknown roles, bad hashes, patterns and paths are errors, naming
// what is wrong: a typo must not quietly grant or deny.
func Parse(data []byte) (*Policy, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if len(f.Users) == 0 {
		return nil, errors.New("no users: nobody could log in")
	}
	roles := map[string][]grant{}
	for name, rules := range f.Roles {
		for i, r := range rules {
			g, err := compileGrant(r.Targets, r.Paths, r.Actions)
			if err != nil {
				return nil, fmt.Errorf("role %s, rule %d: %w", name, i+1, err)
			}
			roles[name] = append(roles[name], g)
		}
	}
	p := &Policy{users: map[string]*user{}, bcrypts: make(chan struct{}, 2)}
	if _, err := rand.Read(p.salt[:]); err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(f.Users) {
		u := f.Users[name]
		if name == "" || strings.ContainsAny(name, " \t\n") {
			return nil, fmt.Errorf("user %q: a name is one word", name)
		}
		nu := &user{name: name}
		if u.PasswordHash != "" {
			if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
				return nil, fmt.Errorf("user %s: password-hash is not a bcrypt hash (make one with `nwmo hash-password`): %v", name, err)
			}
			nu.hash = []byte(u.PasswordHash)
		}
		if len(u.Roles) == 0 {
			return nil, fmt.Errorf("user %s has no roles", name)
		}
		for _, r := range u.Roles {
			gs, ok := roles[r]
			if !ok {
				return nil, fmt.Errorf("user %s: no role %q (roles: %s)", name, r, strings.Join(sortedKeys(f.Roles), ", "))
			}
			nu.grants = append(nu.grants, gs...)
		}
		p.users[name] = nu
	}
	return p, nil
}

func compileGrant(targets, paths, actions []string) (grant, error) {
	var g grant
	if len(actions) == 0 {
		return g, errors.New("no actions: give some of read, write, subscribe")
	}
	for _, a := range actions {
		i := slices.Index(actionNames[:], a)
		if i < 0 {
			return g, fmt.Errorf("action %q is not read, write or subscribe", a)
		}
		g.actions[i] = true
	}
	for _, t := range targets {
		if _, err := path.Match(t, ""); err != nil || t == "" {
			return g, fmt.Errorf("target pattern %q is not a valid pattern", t)
		}
		g.targets = append(g.targets, t)
	}
	for _, s := range paths {
		if !strings.HasPrefix(s, "/") {
			return g, fmt.Errorf("path %q does not start at the root (/)", s)
		}
		sp, err := ygot.StringToStructuredPath(s)
		if err != nil {
			return g, fmt.Errorf("path %q: %v", s, err)
		}
		for _, e := range sp.GetElem() {
			// Requests are matched in their canonical form, without
			// module prefixes.
			if i := strings.IndexByte(e.Name, ':'); i >= 0 {
				e.Name = e.Name[i+1:]
			}
			if e.Name == "..." {
				return g, fmt.Errorf("path %q: a prefix covers everything below it already; drop the ...", s)
			}
		}
		g.paths = append(g.paths, sp.GetElem())
	}
	return g, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Known reports whether name is one of the policy's users: a client
// certificate names a user, who need not have a password.
func (p *Policy) Known(name string) bool {
	_, ok := p.users[name]
	return ok
}

// Allowed reports whether user may do a at elems (a canonical path:
// names without module prefixes) of target, an element's name or
// "nwmo". A path is allowed when a rule's prefix covers it whole: a
// request at / is refused to a user allowed /interfaces only, rather than
// quietly answered in part.
func (p *Policy) Allowed(name string, a Action, target string, elems []*gpb.PathElem) bool {
	u, ok := p.users[name]
	if !ok || int(a) >= len(actionNames) {
		return false
	}
	for i := range u.grants {
		if u.grants[i].allows(a, target, elems) {
			return true
		}
	}
	return false
}

// Sees reports whether one of user's rules names target, for any action
// and path: the targets a user is told of when they name one that is not
// managed.
func (p *Policy) Sees(name, target string) bool {
	u, ok := p.users[name]
	if !ok {
		return false
	}
	return slices.ContainsFunc(u.grants, func(g grant) bool { return g.names(target) })
}

func (g *grant) names(target string) bool {
	return len(g.targets) == 0 || slices.ContainsFunc(g.targets, func(pat string) bool {
		ok, _ := path.Match(pat, target)
		return ok
	})
}

func (g *grant) allows(a Action, target string, elems []*gpb.PathElem) bool {
	if !g.actions[a] || !g.names(target) {
		return false
	}
	if len(g.paths) == 0 {
		return true
	}
	return slices.ContainsFunc(g.paths, func(prefix []*gpb.PathElem) bool { return covers(prefix, elems) })
}

// covers reports whether p is prefix or below it. A name or key value *
// in the prefix matches any; a wildcard in p is covered only by a
// wildcard, since it may match what the prefix does not.
func covers(prefix, p []*gpb.PathElem) bool {
	if len(p) < len(prefix) {
		return false
	}
	for i, pe := range prefix {
		e := p[i]
		if e.GetName() == "..." || (pe.GetName() != "*" && pe.GetName() != e.GetName()) {
			return false
		}
		for k, v := range pe.GetKey() {
			if v != "*" && e.GetKey()[k] != v {
				return false
			}
		}
	}
	return true
}
