package job

import (
	"strconv"
	"strings"
)

// Limits of concurrency keys and queue caps.
const (
	// MaxConcurrencyLimit bounds N in a concurrency key KEY:N and a queue's
	// max running.
	MaxConcurrencyLimit = 10_000
)

// ConcurrencyKey is a parsed concurrency key: at most Limit executions of
// all the jobs that name Key run at once (job.Spec.ConcurrencyKey is its
// text, "KEY" or "KEY:N").
type ConcurrencyKey struct {
	Key   string
	Limit int
}

// String returns the key as written in a definition, "KEY:N".
func (k ConcurrencyKey) String() string { return k.Key + ":" + strconv.Itoa(k.Limit) }

// ParseConcurrencyKey parses "KEY" (a limit of 1) or "KEY:N". KEY is
// 1-128 characters of [A-Za-z0-9_-], as a job name; N is 1 to
// MaxConcurrencyLimit. The error is a FieldError on concurrency_key.
func ParseConcurrencyKey(s string) (ConcurrencyKey, error) {
	key, limit, hasLimit := strings.Cut(s, ":")
	if err := ValidateName(key); err != nil {
		return ConcurrencyKey{}, Fieldf("concurrency_key", "key %q %v", key, err)
	}
	k := ConcurrencyKey{Key: key, Limit: 1}
	if hasLimit {
		n, err := strconv.Atoi(limit)
		if err != nil {
			return ConcurrencyKey{}, Fieldf("concurrency_key", "limit %q of key %s is not a whole number (use KEY or KEY:N, N from 1 to %d)", limit, key, MaxConcurrencyLimit)
		}
		if n <= 0 || n > MaxConcurrencyLimit {
			return ConcurrencyKey{}, Fieldf("concurrency_key", "limit %d of key %s is not from 1 to %d", n, key, MaxConcurrencyLimit)
		}
		k.Limit = n
	}
	return k, nil
}

// Concurrency returns the job's concurrency key, if it names one (a
// definition that reached the scheduler is valid, so a parse error means
// none).
func (s *Spec) Concurrency() (ConcurrencyKey, bool) {
	if s.ConcurrencyKey == "" {
		return ConcurrencyKey{}, false
	}
	k, err := ParseConcurrencyKey(s.ConcurrencyKey)
	return k, err == nil
}

// validateConcurrency checks the concurrency key, if any.
func (s *Spec) validateConcurrency() FieldErrors {
	if s.ConcurrencyKey == "" {
		return nil
	}
	if _, err := ParseConcurrencyKey(s.ConcurrencyKey); err != nil {
		return FieldErrors{err.(*FieldError)}
	}
	return nil
}

// QueueSettings are a queue's settings, in the queues bucket under the
// queue's name.
type QueueSettings struct {
	// Queue is the queue's name.
	Queue string `json:"queue"`
	// MaxRunning caps the executions of the queue on the work stream (waiting
	// for a worker or running) across all workers; 0 is no cap.
	MaxRunning int `json:"max_running,omitempty"`
}

// Validate checks the settings; errors name the field.
func (q *QueueSettings) Validate() error {
	var es FieldErrors
	if err := ValidateName(q.Queue); err != nil {
		es = append(es, Fieldf("queue", "%v", err))
	}
	if q.MaxRunning < 0 || q.MaxRunning > MaxConcurrencyLimit {
		es = append(es, Fieldf("max_running", "%d is not from 0 (no cap) to %d", q.MaxRunning, MaxConcurrencyLimit))
	}
	return es.err()
}
