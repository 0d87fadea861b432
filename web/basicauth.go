package web

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// BasicAuth checks HTTP basic credentials against users read from a file.
type BasicAuth struct {
	users map[string]string // user -> bcrypt hash or plain password
	names []string          // the users, sorted

	mu       sync.Mutex          // guards verified
	verified map[string][32]byte // user -> SHA-256 of the password last verified by bcrypt
}

// LoadBasicAuthFile reads a basic-auth file: one "user:password" per line,
// the password a bcrypt hash (as `htpasswd -nB user` prints) or plain text;
// blank lines and lines starting with # are ignored.
func LoadBasicAuthFile(path string) (*BasicAuth, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("basic auth file: %w", err)
	}
	b, err := ParseBasicAuth(data)
	if err != nil {
		return nil, fmt.Errorf("basic auth file %s: %w", path, err)
	}
	return b, nil
}

// ParseBasicAuth parses the content of a basic-auth file (see
// LoadBasicAuthFile).
func ParseBasicAuth(data []byte) (*BasicAuth, error) {
	b := &BasicAuth{users: map[string]string{}, verified: map[string][32]byte{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, secret, ok := strings.Cut(line, ":")
		switch {
		case !ok || user == "" || secret == "":
			return nil, fmt.Errorf("line %d: want user:password", n)
		case strings.ContainsAny(user, " \t"):
			return nil, fmt.Errorf("line %d: user %q contains a space", n, user)
		}
		if _, dup := b.users[user]; dup {
			return nil, fmt.Errorf("line %d: user %q is listed twice", n, user)
		}
		b.users[user] = secret
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(b.users) == 0 {
		return nil, fmt.Errorf("no users")
	}
	for u := range b.users {
		b.names = append(b.names, u)
	}
	sort.Strings(b.names)
	return b, nil
}

// Verify reports whether user and password match. Both are always
// compared, in constant time: an unknown user costs what a known one with
// a wrong password costs, so timing does not tell which users exist. A
// bcrypt check is done once per user and password; later requests compare
// a digest.
func (b *BasicAuth) Verify(user, password string) bool {
	name, secret, known := b.lookup(user)
	sum := sha256.Sum256([]byte(password))
	if _, err := bcrypt.Cost([]byte(secret)); err != nil {
		want := sha256.Sum256([]byte(secret))
		return subtle.ConstantTimeCompare(sum[:], want[:])&boolInt(known) == 1
	}
	b.mu.Lock()
	cached, seen := b.verified[name]
	b.mu.Unlock()
	if seen && subtle.ConstantTimeCompare(sum[:], cached[:])&boolInt(known) == 1 {
		return true
	}
	if bcrypt.CompareHashAndPassword([]byte(secret), []byte(password)) != nil || !known {
		return false
	}
	b.mu.Lock()
	b.verified[name] = sum
	b.mu.Unlock()
	return true
}

// lookup finds user by comparing it with every user in constant time. An
// unknown user gets the first user's entry (so that the password check
// costs the same) and known=false.
func (b *BasicAuth) lookup(user string) (name, secret string, known bool) {
	want := sha256.Sum256([]byte(user))
	name, secret = b.names[0], b.users[b.names[0]]
	for _, n := range b.names {
		h := sha256.Sum256([]byte(n))
		if subtle.ConstantTimeCompare(want[:], h[:]) == 1 {
			name, secret, known = n, b.users[n], true
		}
	}
	return name, secret, known
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}
