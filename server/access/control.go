package access

import "sync/atomic"

// Control is the policy in force, read from an access file, which Reload
// reads again (nwmod does on SIGHUP): users and roles change without a
// restart, and a request sees one version of the policy or the next,
// never a mix.
type Control struct {
	file string
	cur  atomic.Pointer[Policy]
}

// Open loads the access file name.
func Open(name string) (*Control, error) {
	p, err := Load(name)
	if err != nil {
		return nil, err
	}
	c := &Control{file: name}
	c.cur.Store(p)
	return c, nil
}

// Reload reads the access file again. On error the policy in force stays.
func (c *Control) Reload() error {
	p, err := Load(c.file)
	if err != nil {
		return err
	}
	c.cur.Store(p)
	return nil
}

// Policy is the policy in force.
func (c *Control) Policy() *Policy { return c.cur.Load() }

// File is the access file's name.
func (c *Control) File() string { return c.file }
