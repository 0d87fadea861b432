package web

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// BasicAuth checks HTTP basic credentials against users read from a file.
type BasicAuth struct {
	users map[string]string // user -> bcrypt hash or plain password

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
	return b, nil
}

// Verify reports whether user and password match. A bcrypt check is done
// once per user and password; later requests compare a digest.
func (b *BasicAuth) Verify(user, password string) bool {
	secret, ok := b.users[user]
	if !ok {
		return false
	}
	if _, err := bcrypt.Cost([]byte(secret)); err != nil {
		return subtle.ConstantTimeCompare([]byte(password), []byte(secret)) == 1
	}
	sum := sha256.Sum256([]byte(password))
	b.mu.Lock()
	known, seen := b.verified[user]
	b.mu.Unlock()
	if seen && subtle.ConstantTimeCompare(sum[:], known[:]) == 1 {
		return true
	}
	if bcrypt.CompareHashAndPassword([]byte(secret), []byte(password)) != nil {
		return false
	}
	b.mu.Lock()
	b.verified[user] = sum
	b.mu.Unlock()
	return true
}
