package client

import (
	"context"
	"fmt"
	"time"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/history"
	"github.com/jetcron/jetcron/pkg/job"
)

// WithReason says why a job is created or updated; the definition history
// keeps it.
func WithReason(reason string) CreateOption { return func(r *api.CreateRequest) { r.Reason = reason } }

// ChangeOption modifies EnableJob, DeleteJob and RollbackJob.
type ChangeOption func(*change)

type change struct {
	reason string
	dryRun bool
}

// Because says why; the definition history keeps it.
func Because(reason string) ChangeOption { return func(c *change) { c.reason = reason } }

// DryRunChange reports what a rollback would change without writing.
func DryRunChange() ChangeOption { return func(c *change) { c.dryRun = true } }

func changeOf(opts []ChangeOption) change {
	var c change
	for _, o := range opts {
		o(&c)
	}
	return c
}

// JobHistory returns every kept revision of a job's definition, oldest
// first, with who wrote it, when and why (secrets masked).
func (c *Client) JobHistory(ctx context.Context, name string) (api.HistoryResponse, error) {
	var r api.HistoryResponse
	err := c.call(ctx, api.VerbJobHistory, api.HistoryRequest{Name: name}, &r)
	return r, err
}

// RollbackJob writes a new revision of a job equal to revision to's
// definition.
func (c *Client) RollbackJob(ctx context.Context, name string, to uint64, opts ...ChangeOption) (api.CreateResponse, error) {
	ch := changeOf(opts)
	var r api.CreateResponse
	err := c.call(ctx, api.VerbJobRollback, api.RollbackRequest{Name: name, To: to, Reason: ch.reason, DryRun: ch.dryRun}, &r)
	return r, err
}

// JobDiff compares two revisions of a job's definition.
type JobDiff struct {
	Job     string           `json:"job"`
	From    uint64           `json:"from"`
	To      uint64           `json:"to"`
	Changes []history.Change `json:"changes"`
	// Fires compares the next fire times, from now, of the two definitions.
	Fires history.Fires `json:"fires"`
}

// DiffJob compares revision from of a job's definition with revision to,
// or with the current definition when to is 0.
func (c *Client) DiffJob(ctx context.Context, name string, from, to uint64) (JobDiff, error) {
	h, err := c.JobHistory(ctx, name)
	if err != nil {
		return JobDiff{}, err
	}
	field := "to"
	if to == 0 {
		if h.Current == 0 {
			return JobDiff{}, job.Fieldf("to", "job %q is deleted: name a second revision to compare with", name)
		}
		to, field = h.Current, "revision"
	}
	a, ok := history.Find(h.Revisions, from)
	if !ok {
		return JobDiff{}, job.Fieldf("revision", "%d is not in the history of job %q", from, name)
	}
	b, ok := history.Find(h.Revisions, to)
	if !ok {
		return JobDiff{}, job.Fieldf(field, "%d is not in the history of job %q", to, name)
	}
	d := JobDiff{Job: name, From: from, To: to, Changes: history.Diff(a.Spec, b.Spec)}
	if d.Changes == nil {
		d.Changes = []history.Change{}
	}
	d.Fires = history.CompareFires(a.Spec, b.Spec, time.Now(), history.PreviewFires)
	return d, nil
}

// String names the comparison, for messages.
func (d JobDiff) String() string { return fmt.Sprintf("%s revision %d → %d", d.Job, d.From, d.To) }
