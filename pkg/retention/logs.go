// Package retention deletes what a job's retention lets go: its stored
// logs, older than the job's retention.logs (retention.failed_logs for an
// execution that did not succeed). Events are never deleted here: they are
// the append-only history, bounded only by the events stream's maximum age.
// `jetcron admin prune-logs` runs it with the admin user, the only one
// allowed to delete from the log store.
package retention

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// Outcome returns the state of an execution, or an error wrapping
// job.ErrNotFound when its events are gone.
type Outcome func(ctx context.Context, executionID string) (job.State, error)

// Deleted is one log deleted (or, in a dry run, to delete).
type Deleted struct {
	Key         string    `json:"key"`
	Job         string    `json:"job"`
	ExecutionID string    `json:"execution_id"`
	State       job.State `json:"state,omitempty"`
	Stored      time.Time `json:"stored"`
	Size        int64     `json:"size"`
}

// Report says what a prune did.
type Report struct {
	Deleted []Deleted `json:"deleted"`
	// Kept counts the logs of jobs with a retention that are kept.
	Kept int `json:"kept"`
	// Skipped are keys under a job's prefix that are not a log of that job.
	Skipped []string `json:"skipped,omitempty"`
}

// PruneLogs deletes from store the logs of jobs older than their
// retention allows at now (or only lists them when dry). A log whose
// execution is still running or retrying is kept. An execution whose events
// are gone counts as not succeeded (the longer retention).
func PruneLogs(ctx context.Context, store objstore.Pruner, jobs []job.Spec, outcome Outcome, now time.Time, dry bool) (Report, error) {
	rep := Report{Deleted: []Deleted{}}
	for _, spec := range jobs {
		r := spec.Retention
		if r == nil || r.Logs <= 0 || job.ValidateName(spec.Name) != nil {
			continue
		}
		objs, err := store.List(ctx, spec.Name+"/")
		if err != nil {
			return rep, fmt.Errorf("job %s: %w", spec.Name, err)
		}
		states := map[string]job.State{}
		for _, o := range objs {
			id, ok := logOf(spec.Name, o.Key)
			if !ok {
				rep.Skipped = append(rep.Skipped, o.Key)
				continue
			}
			age := now.Sub(o.Modified)
			if age < r.Logs.D() { // kept whatever the outcome
				rep.Kept++
				continue
			}
			st, seen := states[id]
			if !seen {
				st, err = outcome(ctx, id)
				if err != nil && !isNotFound(err) {
					return rep, fmt.Errorf("execution %s: %w", id, err)
				}
				states[id] = st
			}
			if st != "" && !st.Final() || age < r.LogTTL(st == job.StateSucceeded).D() {
				rep.Kept++
				continue
			}
			if !dry {
				if err := store.Delete(ctx, o.Key); err != nil {
					return rep, err
				}
			}
			rep.Deleted = append(rep.Deleted, Deleted{Key: o.Key, Job: spec.Name, ExecutionID: id, State: st, Stored: o.Modified.UTC(), Size: o.Size})
		}
	}
	return rep, nil
}

// logOf returns the execution of a log key "<job>/<execution>/<attempt>.log"
// (objstore.LogKey) if the key is one of the job's logs.
func logOf(name, key string) (string, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[0] != name || !strings.HasSuffix(parts[2], ".log") {
		return "", false
	}
	j, _, err := job.ParseExecutionID(parts[1])
	if err != nil || j != name {
		return "", false
	}
	return parts[1], true
}

func isNotFound(err error) bool { return errors.Is(err, job.ErrNotFound) }
