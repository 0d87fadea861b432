package web

import (
	"net"
	"net/http"
	"strings"
)

// contentSecurityPolicy allows scripts, styles and connections to this
// server only: no inline script runs, even one smuggled into a page.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// setLoopback records whether the bound address is a loopback one.
func (s *Server) setLoopback(addr net.Addr) {
	if ta, ok := addr.(*net.TCPAddr); ok {
		s.loopback.Store(ta.IP.IsLoopback())
	}
}

// secure sets the security headers and refuses cross-origin state changes
// (CSRF) and, on a loopback address, foreign Host names (DNS rebinding).
func (s *Server) secure(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if s.loopback.Load() && !loopbackHost(r.Host) {
			writeError(w, &httpError{status: http.StatusForbidden, field: "Host",
				msg: "host " + r.Host + " is refused: this server listens on a loopback address and answers only to localhost, 127.0.0.1 or [::1] (start it with --http ADDR on another address to serve other names)"})
			return
		}
		if err := cop.Check(r); err != nil {
			writeError(w, &httpError{status: http.StatusForbidden, msg: "cross-origin request refused: " + err.Error()})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
