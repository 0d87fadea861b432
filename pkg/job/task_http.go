package job

import (
	"net/url"
	"regexp"
	"strings"
)

// TaskHTTP makes an HTTP request.
const TaskHTTP TaskKind = "http"

// MaxHTTPBodyBytes is the largest body an http task may send.
const MaxHTTPBodyBytes = 256 << 10

// HTTPRequest is the request an http task makes.
type HTTPRequest struct {
	// Method defaults to GET.
	Method  string            `json:"method,omitempty" yaml:"method,omitempty"`
	URL     string            `json:"url" yaml:"url"`
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	Body    string            `json:"body,omitempty" yaml:"body,omitempty"`
	// Timeout bounds one request; defaults to the job's timeout, else 30s.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// httpMethodRE accepts method tokens (RFC 9110) made of letters and '-'.
var httpMethodRE = regexp.MustCompile(`^[A-Za-z][A-Za-z-]{0,31}$`)

var httpKind = kindRules{kind: TaskHTTP, validate: validateHTTP, defaults: httpDefaults}

func validateHTTP(t Task) FieldErrors {
	var es FieldErrors
	add := func(field, format string, args ...any) { es = append(es, Fieldf(field, format, args...)) }
	r := t.HTTP
	if r == nil {
		add("task.http", "is required for an http task")
		return es
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("task.http.url", "%q is not an http or https URL", RedactURL(r.URL))
	}
	for k, v := range r.Headers {
		if k == "" || strings.ContainsAny(k, ": \t\r\n") {
			add("task.http.headers", "%q is not a valid header name", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			add("task.http.headers", "value of %s contains a line break or NUL", k)
		}
		if !checkSecretRef(v) {
			add("task.http.headers", "value of %s is not a secret reference ${secret:NAME} (NAME: letters, digits, '_', '-', '.')", k)
		}
	}
	if r.Method != "" && !httpMethodRE.MatchString(r.Method) {
		add("task.http.method", "%q is not an HTTP method (GET, POST, PUT, ...)", r.Method)
	}
	if len(r.Body) > MaxHTTPBodyBytes {
		add("task.http.body", "is %d bytes; at most %d are allowed", len(r.Body), MaxHTTPBodyBytes)
	}
	if r.Timeout < 0 {
		add("task.http.timeout", "must be positive")
	}
	return es
}

// httpDefaults sends GET unless told otherwise. The request is copied:
// WithDefaults returns a copy and leaves its receiver's request as it was.
func httpDefaults(s *Spec) {
	if s.Task.HTTP != nil && s.Task.HTTP.Method == "" {
		r := *s.Task.HTTP
		r.Method = "GET"
		s.Task.HTTP = &r
	}
}
