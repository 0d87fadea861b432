package job

import (
	"fmt"
	"strings"
	"time"
)

// MinLogRetention is the shortest log retention a job may ask for.
const MinLogRetention = Duration(time.Second) // short spans are for tests; days are usual

// MaxKeepExecutions bounds retention.executions and
// retention.failed_executions.
const MaxKeepExecutions = 1_000_000

// Retention is how much of a job's past is kept (see docs/storage.md).
//
// Logs: Logs and FailedLogs bound how long stored logs are kept (deleted
// by `jetcron admin prune-logs`).
//
// Executions: Executions, FailedExecutions, History and FailedHistory
// bound which finished executions' events are kept; the leading scheduler
// deletes the others, each execution whole, and records what it deleted
// (package retention). Each is a limit: an execution goes once it is
// beyond the newest N of its kind or ended longer ago than the duration,
// whichever comes first. Unset, a job's events stay until the events
// stream's global maximum age, which bounds everything.
type Retention struct {
	// Logs is how long the log of an execution that succeeded is kept,
	// counted from when it was stored. Zero keeps logs until the log
	// store's global maximum age.
	Logs Duration `json:"logs,omitempty" yaml:"logs,omitempty"`
	// FailedLogs is how long the log of an execution that did not succeed
	// (failed, timed out, cancelled, or whose outcome is no longer known)
	// is kept. Defaults to Logs; never shorter.
	FailedLogs Duration `json:"failed_logs,omitempty" yaml:"failed_logs,omitempty"`

	// Executions is how many of the newest finished executions that did
	// not fail (succeeded or skipped) are kept.
	Executions int `json:"executions,omitempty" yaml:"executions,omitempty"`
	// FailedExecutions is the same for executions that failed (failed,
	// timed out, cancelled or missed). Defaults to Executions; never fewer.
	FailedExecutions int `json:"failed_executions,omitempty" yaml:"failed_executions,omitempty"`
	// History is how long after it ended an execution that did not fail
	// is kept.
	History Duration `json:"history,omitempty" yaml:"history,omitempty"`
	// FailedHistory is the same for executions that failed. Defaults to
	// History; never shorter.
	FailedHistory Duration `json:"failed_history,omitempty" yaml:"failed_history,omitempty"`
}

// LogTTL returns how long a log is kept, by whether its execution
// succeeded; zero means no per-job limit.
func (r *Retention) LogTTL(succeeded bool) Duration {
	if r == nil {
		return 0
	}
	if !succeeded && r.FailedLogs > 0 {
		return r.FailedLogs
	}
	return r.Logs
}

// LimitsExecutions reports whether the retention deletes executions.
func (r *Retention) LimitsExecutions() bool {
	return r != nil && (r.Executions > 0 || r.FailedExecutions > 0 || r.History > 0 || r.FailedHistory > 0)
}

// ExecutionLimits returns how many executions of a kind are kept and for
// how long after they ended; zero is no limit.
func (r *Retention) ExecutionLimits(failed bool) (int, time.Duration) {
	if r == nil {
		return 0, 0
	}
	n, d := r.Executions, r.History
	if failed {
		if r.FailedExecutions > 0 {
			n = r.FailedExecutions
		}
		if r.FailedHistory > 0 {
			d = r.FailedHistory
		}
	}
	return n, d.D()
}

func (r *Retention) validate() FieldErrors {
	if r == nil {
		return nil
	}
	var es FieldErrors
	for _, d := range []struct {
		field string
		v     Duration
	}{{"logs", r.Logs}, {"failed_logs", r.FailedLogs}, {"history", r.History}, {"failed_history", r.FailedHistory}} {
		if d.v < 0 || d.v > 0 && d.v < MinLogRetention {
			es = append(es, Fieldf("retention."+d.field, "%s is not a retention of at least 1s", d.v))
		}
	}
	for _, n := range []struct {
		field string
		v     int
	}{{"executions", r.Executions}, {"failed_executions", r.FailedExecutions}} {
		if n.v < 0 || n.v > MaxKeepExecutions {
			es = append(es, Fieldf("retention."+n.field, "%d is not a count from 1 to %d", n.v, MaxKeepExecutions))
		}
	}
	es = append(es, failuresKeptLonger("logs", r.Logs, r.FailedLogs, "shorter")...)
	es = append(es, failuresKeptLonger("executions", r.Executions, r.FailedExecutions, "fewer")...)
	es = append(es, failuresKeptLonger("history", r.History, r.FailedHistory, "shorter")...)
	return es
}

// failuresKeptLonger checks that the failures' limit (retention.failed_X)
// keeps at least what the successes' one (retention.X) keeps.
func failuresKeptLonger[T Duration | int](x string, ok, failed T, less string) FieldErrors {
	switch {
	case failed > 0 && ok == 0:
		return FieldErrors{Fieldf("retention.failed_"+x, "needs retention.%s (successes are never kept longer than failures)", x)}
	case failed > 0 && failed < ok:
		return FieldErrors{Fieldf("retention.failed_"+x, "%v is %s than retention.%s %v: failures are kept at least as long as successes", failed, less, x, ok)}
	}
	return nil
}

// DescribeExecutions says which finished executions the retention keeps:
// "runs: newest 100, ended within 720h; failed runs: newest 1000", or "".
func (r *Retention) DescribeExecutions() string {
	var parts []string
	for _, failed := range []bool{false, true} {
		n, d := r.ExecutionLimits(failed)
		kind := "runs"
		if failed {
			kind = "failed runs"
		}
		var lim []string
		if n > 0 {
			lim = append(lim, fmt.Sprintf("newest %d", n))
		}
		if d > 0 {
			lim = append(lim, "ended within "+FormatDuration(d))
		}
		if len(lim) > 0 {
			parts = append(parts, kind+": "+strings.Join(lim, ", "))
		}
	}
	return strings.Join(parts, "; ")
}
