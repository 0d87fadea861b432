package job

import (
	"maps"
	"net/url"
	"regexp"
	"strings"
)

// Masked replaces a secret value in every view of a job (API, CLI, web UI,
// HTTP task logs).
const Masked = "***"

// secretRef is a value resolved on the worker: "${secret:NAME}" is the
// content of the file NAME in the worker's secrets directory (worker
// --secrets-dir), so the secret itself is never in the job definition.
var secretRef = regexp.MustCompile(`^\$\{secret:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})\}$`)

// SecretRef returns the secret name of a "${secret:NAME}" value.
func SecretRef(v string) (string, bool) {
	m := secretRef.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// checkSecretRef refuses a value that starts like a secret reference but
// is not one (a typo would otherwise be sent as it is).
func checkSecretRef(v string) bool {
	if !strings.HasPrefix(v, "${secret:") {
		return true
	}
	_, ok := SecretRef(v)
	return ok
}

// mask hides a value, except a secret reference, which is no secret.
func mask(v string) string {
	if _, ok := SecretRef(v); ok || v == "" {
		return v
	}
	return Masked
}

// Redacted returns the definition as views show it: env values, HTTP
// header values, and the password and query values of the HTTP URL are
// masked (secret references stay readable). The worker runs the real one.
func (s Spec) Redacted() Spec {
	if len(s.Env) > 0 {
		s.Env = maps.Clone(s.Env)
		for k, v := range s.Env {
			s.Env[k] = mask(v)
		}
	}
	if s.Task.HTTP != nil {
		h := *s.Task.HTTP
		h.URL = RedactURL(h.URL)
		if len(h.Headers) > 0 {
			h.Headers = maps.Clone(h.Headers)
			for k, v := range h.Headers {
				h.Headers[k] = mask(v)
			}
		}
		s.Task.HTTP = &h
	}
	return s
}

// Unredact puts back, from old, the values that a client sent masked: a
// definition read with GET and written back unchanged keeps its secrets.
func (s Spec) Unredact(old Spec) Spec {
	if len(s.Env) > 0 {
		s.Env = maps.Clone(s.Env)
		for k, v := range s.Env {
			if ov, ok := old.Env[k]; ok && v == Masked {
				s.Env[k] = ov
			}
		}
	}
	if s.Task.HTTP != nil && old.Task.HTTP != nil {
		h, oh := *s.Task.HTTP, old.Task.HTTP
		if h.URL != oh.URL && h.URL == RedactURL(oh.URL) {
			h.URL = oh.URL
		}
		if len(h.Headers) > 0 {
			h.Headers = maps.Clone(h.Headers)
			for k, v := range h.Headers {
				if ov, ok := oh.Headers[k]; ok && v == Masked {
					h.Headers[k] = ov
				}
			}
		}
		s.Task.HTTP = &h
	}
	return s
}

// RedactURL masks the password and every query value of a URL.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Masked
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Masked)
		}
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			if k, v, ok := strings.Cut(p, "="); ok && v != "" {
				parts[i] = k + "=" + Masked
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}
