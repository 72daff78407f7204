package access

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"

	"golang.org/x/crypto/bcrypt"
)

// ErrBadCredentials is every failed password check: the answer does not
// tell an unknown user from a wrong password.
var ErrBadCredentials = errors.New("invalid username or password")

// Authenticate checks name's password. The first success costs one bcrypt
// comparison; later requests with the same password are checked against
// a keyed digest of it, in 0.7 µs (BenchmarkAuthenticateRemembered). A wrong password always costs a
// bcrypt comparison, at most two at a time, waiting at most until ctx is
// done. So does a name with no password (unknown, or certificate-only),
// against a hash no password matches, so that the time of the answer does
// not tell which names have one.
func (p *Policy) Authenticate(ctx context.Context, name, password string) error {
	u, ok := p.users[name]
	known := ok && u.hash != nil
	var d [32]byte
	if known {
		d = p.digest(name, password)
		if v := u.verified.Load(); v != nil && hmac.Equal(v[:], d[:]) {
			return nil
		}
	}
	select {
	case p.bcrypts <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	hash := noUserHash
	if known {
		hash = u.hash
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	<-p.bcrypts
	if err != nil || !known {
		return ErrBadCredentials
	}
	u.verified.Store(&d)
	return nil
}

// noUserHash is what a name with no password is checked against: a
// well-formed bcrypt hash at the default cost, as HashPassword makes, made
// up rather than computed, so that no password matches it.
var noUserHash = []byte("$2a$10$Hy5Qv3Cq3kO0m2G5S0XfUe3zWbFz9m4n2yGQe9kqvKJH3h0QkQn6u")

func (p *Policy) digest(name, password string) [32]byte {
	m := hmac.New(sha256.New, p.salt[:])
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var d [32]byte
	m.Sum(d[:0])
	return d
}

// HashPassword returns the bcrypt hash of password that an access file
// holds, at bcrypt's default cost.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("empty password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}
