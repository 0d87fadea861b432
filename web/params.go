package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// queryBool reads a boolean query parameter: absent, "", "0", "false" or
// "1", "true".
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	switch strings.ToLower(v) {
	case "", "0", "false", "no":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	}
	return false, badRequest(name, "%s: %q is not true or false", name, v)
}

// queryInt reads an integer query parameter within [lo, hi], def when absent.
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(name, "%s: %q is not a number in %d-%d", name, v, lo, hi)
	}
	return n, nil
}

// queryUint reads an unsigned query parameter, 0 when absent.
func queryUint(r *http.Request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, badRequest(name, "%s: %q is not a cursor (a positive number)", name, v)
	}
	return n, nil
}

// querySince reads a point in time given as a duration back from now
// ("10m") or an RFC 3339 time; zero when absent.
func querySince(r *http.Request, name string, now time.Time) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := job.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badRequest(name, "%s: %q is neither a duration (10m) nor an RFC 3339 time", name, v)
	}
	return t, nil
}

// pathName returns the {name} of a job route, checked.
func pathName(r *http.Request) (string, error) {
	name := r.PathValue("name")
	if err := job.ValidateName(name); err != nil {
		return "", job.Fieldf("name", "%q %v", name, err)
	}
	return name, nil
}

// pathID returns the {id} of an execution route, checked.
func pathID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if _, _, err := job.ParseExecutionID(id); err != nil {
		return "", job.Fieldf("id", "%v", err)
	}
	return id, nil
}

// keyed is an API handler of the job or execution its path names; key is
// the checked name or ID.
type keyed func(w http.ResponseWriter, r *http.Request, key string) error

// byName adapts a handler of the job {name} names: a bad name is a 400
// before fn runs.
func byName(fn keyed) func(http.ResponseWriter, *http.Request) error {
	return byKey(pathName, fn)
}

// byID adapts a handler of the execution {id} names: a bad ID is a 400
// before fn runs.
func byID(fn keyed) func(http.ResponseWriter, *http.Request) error {
	return byKey(pathID, fn)
}

func byKey(key func(*http.Request) (string, error), fn keyed) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		k, err := key(r)
		if err != nil {
			return err
		}
		return fn(w, r, k)
	}
}

// withBody adapts a handler that takes a JSON body: it decodes the body
// into a B (strictly, see decodeBody; an empty body is the zero B when
// optional) and passes it to fn.
func withBody[B any](optional bool, fn func(w http.ResponseWriter, r *http.Request, key string, body B) error) keyed {
	return func(w http.ResponseWriter, r *http.Request, key string) error {
		var body B
		if err := decodeBody(w, r, &body, optional); err != nil {
			return err
		}
		return fn(w, r, key, body)
	}
}
