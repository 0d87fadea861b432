package job

import "time"

// MinLogRetention is the shortest log retention a job may ask for.
const MinLogRetention = Duration(time.Second) // short spans are for tests; days are usual

// Retention is how long a job's stored logs are kept (see
// docs/storage.md). Only logs are deleted by it: a job's events, which are
// its history, stay until the events stream's global maximum age.
type Retention struct {
	// Logs is how long the log of an execution that succeeded is kept,
	// counted from when it was stored. Zero keeps logs until the log
	// store's global maximum age.
	Logs Duration `json:"logs,omitempty" yaml:"logs,omitempty"`
	// FailedLogs is how long the log of an execution that did not succeed
	// (failed, timed out, cancelled, or whose outcome is no longer known)
	// is kept. Defaults to Logs; never shorter.
	FailedLogs Duration `json:"failed_logs,omitempty" yaml:"failed_logs,omitempty"`
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
	return es
}
