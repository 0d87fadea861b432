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
