package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sync"
	"time"
)

// SessionTTL is how long a browser session lasts after sign-in.
const SessionTTL = 12 * time.Hour

// maxSessions bounds the sessions kept; the oldest goes first.
const maxSessions = 10_000

// sessions issues and checks session cookies. A cookie carries a random
// session id and its expiry, signed with a key drawn when the server
// starts; the server also keeps the ids it issued, so signing out revokes
// a session, and a restart ends them all. Several web replicas behind one
// address therefore need sticky sessions (or the bearer token).
type sessions struct {
	key []byte
	now func() time.Time

	mu  sync.Mutex           // guards ids
	ids map[string]time.Time // live session id -> expiry
}

func newSessions(now func() time.Time) *sessions {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &sessions{key: key, now: now, ids: map[string]time.Time{}}
}

// issue starts a session and returns its cookie value.
func (s *sessions) issue() string {
	var id [16]byte
	_, _ = rand.Read(id[:])
	exp := s.now().Add(SessionTTL)
	msg := make([]byte, 0, 24+sha256.Size)
	msg = append(msg, id[:]...)
	msg = binary.BigEndian.AppendUint64(msg, uint64(exp.Unix()))
	msg = append(msg, s.sign(msg)...)
	s.mu.Lock()
	s.pruneLocked()
	s.ids[string(id[:])] = exp
	s.mu.Unlock()
	return base64.RawURLEncoding.EncodeToString(msg)
}

// valid reports whether a cookie value is a live session of this server.
func (s *sessions) valid(value string) bool {
	id, ok := s.parse(value)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, live := s.ids[id]
	return live && s.now().Before(exp)
}

// revoke ends the session of a cookie value.
func (s *sessions) revoke(value string) {
	if id, ok := s.parse(value); ok {
		s.mu.Lock()
		delete(s.ids, id)
		s.mu.Unlock()
	}
}

// parse checks a cookie's signature and expiry and returns its id.
func (s *sessions) parse(value string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) != 24+sha256.Size {
		return "", false
	}
	msg, mac := raw[:24], raw[24:]
	if !hmac.Equal(mac, s.sign(msg)) {
		return "", false
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(msg[16:24])), 0)
	if !s.now().Before(exp) {
		return "", false
	}
	return string(msg[:16]), true
}

func (s *sessions) sign(msg []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("jetcron web session v2\x00"))
	m.Write(msg)
	return m.Sum(nil)
}

// pruneLocked drops expired sessions, and the oldest when too many remain.
func (s *sessions) pruneLocked() {
	if len(s.ids) < maxSessions {
		return
	}
	now := s.now()
	var oldest string
	var oldestExp time.Time
	for id, exp := range s.ids {
		if !now.Before(exp) {
			delete(s.ids, id)
			continue
		}
		if oldest == "" || exp.Before(oldestExp) {
			oldest, oldestExp = id, exp
		}
	}
	if len(s.ids) >= maxSessions {
		delete(s.ids, oldest)
	}
}
