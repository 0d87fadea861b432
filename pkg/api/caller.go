package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode"

	"github.com/nats-io/nats.go"
)

// Headers that tell the API who calls. Inside one NATS account the server
// tells a responder nothing about the requester, so these are what the
// caller's connection declares, not something NATS proves: the API records
// them for people (history's "who"), and decides nothing on them.
const (
	// UserHeader is the NATS user the caller connected as.
	UserHeader = "Jetcron-User"
	// WebUserHeader is the user of the web UI or HTTP API on whose behalf
	// the web role calls.
	WebUserHeader = "Jetcron-Web-User"
)

// MaxCallerLen bounds a caller name; a longer one is cut.
const MaxCallerLen = 128

// Caller is who made an API request.
type Caller struct {
	// User is the NATS user (UserHeader), or the role its reply prefix
	// names (_INBOX_<role>) when the header is absent.
	User string
	// WebUser is the web user (WebUserHeader).
	WebUser string
}

type callerKey struct{}

// WithCaller returns ctx carrying c: the API service puts the caller of
// each request in its context.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerOf returns the caller ctx carries.
func CallerOf(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

type webUserKey struct{}

// WithWebUser returns ctx whose API calls declare the web user name.
func WithWebUser(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, webUserKey{}, name)
}

// CallerFromMsg reads the caller of a request: its headers, else the role
// of its reply prefix. Values are cleaned (printable, at most
// MaxCallerLen), since any client can send anything.
func CallerFromMsg(h nats.Header, reply string) Caller {
	c := Caller{User: clean(h.Get(UserHeader)), WebUser: clean(h.Get(WebUserHeader))}
	if c.User == "" {
		if rest, ok := strings.CutPrefix(reply, "_INBOX_"); ok {
			role, _, _ := strings.Cut(rest, ".")
			c.User = clean(role)
		}
	}
	return c
}

func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > MaxCallerLen {
		s = string(r[:MaxCallerLen])
	}
	return s
}

// connUser returns the NATS user a connection authenticates as, as far as
// its options say: the user name, the name in its user JWT (creds), its
// NKey, or "token".
func connUser(nc *nats.Conn) string {
	if nc == nil {
		return ""
	}
	o := nc.Opts
	switch {
	case o.User != "":
		return o.User
	case o.UserJWT != nil:
		if tok, err := o.UserJWT(); err == nil {
			if name := jwtName(tok); name != "" {
				return name
			}
		}
	case o.Nkey != "":
		return o.Nkey
	case o.Token != "" || o.TokenHandler != nil:
		return "token"
	}
	return ""
}

// jwtName reads the name (else the subject) of a JWT's claims, without
// checking its signature: the server did when the connection was made.
func jwtName(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Name string `json:"name"`
		Sub  string `json:"sub"`
	}
	if json.Unmarshal(data, &claims) != nil {
		return ""
	}
	if claims.Name != "" {
		return claims.Name
	}
	return claims.Sub
}

// callerHeader is the header API calls send.
func callerHeader(ctx context.Context, nc *nats.Conn) nats.Header {
	h := nats.Header{}
	if u := clean(connUser(nc)); u != "" {
		h.Set(UserHeader, u)
	}
	if w, _ := ctx.Value(webUserKey{}).(string); clean(w) != "" {
		h.Set(WebUserHeader, clean(w))
	}
	return h
}
