package web

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Failed sign-ins allowed per client address within loginWindow; beyond
// them the address gets 429 until the window ends.
const (
	loginFailures = 10
	loginWindow   = time.Minute
	maxLimited    = 100_000 // addresses tracked at most
)

// failureLimiter counts failed authentications per client address.
type failureLimiter struct {
	now func() time.Time

	mu   sync.Mutex // guards seen
	seen map[string]*failures
}

type failures struct {
	n     int
	since time.Time
}

func newFailureLimiter(now func() time.Time) *failureLimiter {
	return &failureLimiter{now: now, seen: map[string]*failures{}}
}

// clientAddr is the address a request came from: the connection's peer
// (a forwarding header could be set by anyone).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// blocked reports whether addr failed too often lately, and until when.
func (l *failureLimiter) blocked(addr string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.seen[addr]
	if f == nil {
		return time.Time{}, false
	}
	until := f.since.Add(loginWindow)
	if !l.now().Before(until) {
		delete(l.seen, addr)
		return time.Time{}, false
	}
	return until, f.n >= loginFailures
}

// fail records a failed authentication from addr.
func (l *failureLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f := l.seen[addr]
	if f == nil || !now.Before(f.since.Add(loginWindow)) {
		if len(l.seen) >= maxLimited {
			l.pruneLocked(now)
		}
		f = &failures{since: now}
		l.seen[addr] = f
	}
	f.n++
}

func (l *failureLimiter) pruneLocked(now time.Time) {
	for a, f := range l.seen {
		if !now.Before(f.since.Add(loginWindow)) {
			delete(l.seen, a)
		}
	}
	if len(l.seen) >= maxLimited {
		clear(l.seen) // under a flood of addresses, forget rather than grow
	}
}
