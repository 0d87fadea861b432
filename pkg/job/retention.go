package job

import "time"

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
	var es FieldErrors
	if r == nil {
		return nil
	}
	if r.Logs < 0 || r.Logs > 0 && r.Logs < MinLogRetention {
		es = append(es, Fieldf("retention.logs", "%s is not a retention of at least 1s", r.Logs))
	}
	if r.FailedLogs < 0 || r.FailedLogs > 0 && r.FailedLogs < MinLogRetention {
		es = append(es, Fieldf("retention.failed_logs", "%s is not a retention of at least 1s", r.FailedLogs))
	}
	if r.FailedLogs > 0 && r.Logs == 0 {
		es = append(es, Fieldf("retention.failed_logs", "needs retention.logs (successes are never kept longer than failures)"))
	} else if r.FailedLogs > 0 && r.FailedLogs < r.Logs {
		es = append(es, Fieldf("retention.failed_logs", "%s is shorter than retention.logs %s: failures are kept at least as long as successes", r.FailedLogs, r.Logs))
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"retention.executions", r.Executions}, {"retention.failed_executions", r.FailedExecutions}} {
		if f.n < 0 || f.n > MaxKeepExecutions {
			es = append(es, Fieldf(f.name, "%d is not a count from 1 to %d", f.n, MaxKeepExecutions))
		}
	}
	if r.FailedExecutions > 0 && r.Executions == 0 {
		es = append(es, Fieldf("retention.failed_executions", "needs retention.executions (successes are never kept longer than failures)"))
	} else if r.FailedExecutions > 0 && r.FailedExecutions < r.Executions {
		es = append(es, Fieldf("retention.failed_executions", "%d is fewer than retention.executions %d: failures are kept at least as long as successes", r.FailedExecutions, r.Executions))
	}
	if r.History < 0 || r.History > 0 && r.History < MinLogRetention {
		es = append(es, Fieldf("retention.history", "%s is not a retention of at least 1s", r.History))
	}
	if r.FailedHistory < 0 || r.FailedHistory > 0 && r.FailedHistory < MinLogRetention {
		es = append(es, Fieldf("retention.failed_history", "%s is not a retention of at least 1s", r.FailedHistory))
	}
	if r.FailedHistory > 0 && r.History == 0 {
		es = append(es, Fieldf("retention.failed_history", "needs retention.history (successes are never kept longer than failures)"))
	} else if r.FailedHistory > 0 && r.FailedHistory < r.History {
		es = append(es, Fieldf("retention.failed_history", "%s is shorter than retention.history %s: failures are kept at least as long as successes", r.FailedHistory, r.History))
	}
	return es
}
