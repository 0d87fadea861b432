package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/history"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

// jobHistory reads a job's history through the CLI's JSON output.
func (s *system) jobHistory(name string) api.HistoryResponse {
	s.t.Helper()
	var h api.HistoryResponse
	require.NoError(s.t, json.Unmarshal([]byte(s.ok("job", "history", name, "-o", "json")), &h))
	return h
}

// TestDefinitionHistory: every change of a job is a revision with who,
// when and why; a dry run shows the field diff and the fire times that
// change and writes nothing; diff compares revisions; rollback restores a
// revision as a new one; a run records the revision it ran with.
func TestDefinitionHistory(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "report", "--cron", "0 2 * * *", "--env", "TOKEN=s3cret", "--reason", "first cut", "--", "true")
	h := s.jobHistory("report")
	require.Len(t, h.Revisions, 1)
	first := h.Revisions[0]
	require.Equal(t, history.OpCreated, first.Op)
	require.Equal(t, "first cut", first.Reason)
	require.Equal(t, first.Revision, h.Current)
	require.Equal(t, job.Masked, first.Spec.Env["TOKEN"], "history views mask secrets")

	// A dry run of an update: the diff and the fire times, nothing written.
	out := s.ok("job", "create", "report", "--update", "--dry-run", "--cron", "0 3 * * *", "--env", "TOKEN=s3cret", "--", "true")
	t.Logf("job create --update --dry-run:\n%s", out)
	require.Contains(t, out, "job report would be updated (dry run)")
	require.Contains(t, out, `schedule.cron`)
	require.Contains(t, out, `"0 2 * * *"`)
	require.Contains(t, out, `"0 3 * * *"`)
	require.Contains(t, out, "next fire times change")
	require.Contains(t, out, "T02:00:00Z")
	require.Contains(t, out, "T03:00:00Z")
	require.NotContains(t, out, "s3cret")
	require.Equal(t, h.Current, s.jobHistory("report").Current, "a dry run writes nothing")
	var dry api.CreateResponse
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "create", "report", "--update", "--dry-run", "-o", "json", "--cron", "0 3 * * *", "--env", "TOKEN=s3cret", "--", "true")), &dry))
	require.Len(t, dry.Preview.Fires.Before, history.PreviewFires)
	require.Len(t, dry.Preview.Fires.After, history.PreviewFires)
	require.True(t, dry.Preview.Fires.Changed)
	require.Equal(t, []history.Change{{Field: "schedule.cron", Old: `"0 2 * * *"`, New: `"0 3 * * *"`}}, dry.Preview.Diff)

	// The update itself, by a named NATS user through the Go client, and a
	// pause by a web user.
	nc, err := nats.Connect(s.srv.URL(), nats.UserInfo("alice", "pw"))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	alice, err := client.New(nc, client.WithNamespace(s.topo.Namespace))
	require.NoError(t, err)
	spec := jobSpecOf(t, s, "report")
	spec.Schedule.Cron = "0 3 * * *"
	spec.Env["TOKEN"] = "s3cret" // the view masked it
	_, err = alice.CreateJob(t.Context(), spec, client.WithUpdate(), client.WithReason("the backup moved"))
	require.NoError(t, err)
	_, err = alice.DisableJob(api.WithWebUser(t.Context(), "bob"), "report", "quiet week")
	require.NoError(t, err)
	s.ok("job", "enable", "report", "--reason", "back")

	h = s.jobHistory("report")
	require.Len(t, h.Revisions, 4)
	upd, dis, en := h.Revisions[1], h.Revisions[2], h.Revisions[3]
	require.Equal(t, history.OpUpdated, upd.Op)
	require.Equal(t, "alice", upd.By)
	require.Equal(t, "the backup moved", upd.Reason)
	require.Equal(t, []string{"schedule.cron"}, upd.Changes)
	require.Equal(t, `schedule.cron "0 2 * * *" → "0 3 * * *"`, upd.Summary)
	require.Equal(t, history.OpDisabled, dis.Op)
	require.Equal(t, "bob (web)", dis.Who())
	require.Equal(t, "quiet week", dis.Reason)
	require.Equal(t, history.OpEnabled, en.Op)
	require.Equal(t, "back", en.Reason)
	require.Equal(t, en.Revision, h.Current)
	table := s.ok("job", "history", "report")
	t.Logf("job history report:\n%s", table)
	require.Contains(t, table, "alice")
	require.Contains(t, table, "bob (web)")

	// Diff of the first revision with the current one, and of two revisions.
	out = s.ok("job", "diff", "report", strconv.FormatUint(first.Revision, 10))
	t.Logf("job diff report %d:\n%s", first.Revision, out)
	require.Contains(t, out, "schedule.cron")
	require.NotContains(t, out, "disabled", "enabled again: only the schedule differs")
	out = s.ok("job", "diff", "report", strconv.FormatUint(upd.Revision, 10), strconv.FormatUint(dis.Revision, 10))
	require.Contains(t, out, "disabled_reason")
	require.Contains(t, out, `"quiet week"`)

	// Rollback to a revision that does not exist: named, nothing changes.
	r := s.cli("job", "rollback", "report", "--to", "9999")
	require.Equal(t, 2, r.code, r.err)
	require.Contains(t, r.err, "to")
	require.Contains(t, r.err, "9999")
	require.Equal(t, h.Current, s.jobHistory("report").Current)
	r = s.cli("job", "rollback", "report")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.err, "--to")

	// Rollback to the first revision: a new revision with its definition,
	// secrets included.
	out = s.ok("job", "rollback", "report", "--to", strconv.FormatUint(first.Revision, 10), "--reason", "the move was cancelled")
	t.Logf("job rollback:\n%s", out)
	h = s.jobHistory("report")
	last := h.Revisions[len(h.Revisions)-1]
	require.Equal(t, history.OpRolledBack, last.Op)
	require.Equal(t, first.Revision, last.RollbackOf)
	require.Equal(t, "the move was cancelled", last.Reason)
	require.Equal(t, last.Revision, h.Current)
	now := jobSpecOf(t, s, "report")
	require.Equal(t, "0 2 * * *", now.Schedule.Cron)
	d, err := s.client.DiffJob(t.Context(), "report", first.Revision, 0)
	require.NoError(t, err)
	require.Empty(t, d.Changes, "the current definition is the first one again")
	require.False(t, d.Fires.Changed)

	// A run records the revision it ran with.
	id := strings.TrimSpace(s.ok("job", "run", "report"))
	x := s.waitState(id, 15*time.Second, job.StateSucceeded)
	require.Equal(t, h.Current, x.Revision)
	require.Regexp(t, fmt.Sprintf(`(?m)^revision\s+%d$`, h.Current), s.ok("exec", "get", id))

	// Deleted: the history stays, and says so.
	s.ok("job", "delete", "report", "--reason", "retired")
	h = s.jobHistory("report")
	last = h.Revisions[len(h.Revisions)-1]
	require.Equal(t, history.OpDeleted, last.Op)
	require.Equal(t, "retired", last.Reason)
	require.Zero(t, h.Current)
	r = s.cli("job", "rollback", "report", "--to", strconv.FormatUint(last.Revision, 10))
	require.Equal(t, 2, r.code)
	require.Contains(t, r.err, "deletion")
}

// TestHistoryOutlivesTheBucket: the jobs bucket keeps ten revisions; the
// history keeps them all, and a rollback reaches the oldest.
func TestHistoryOutlivesTheBucket(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "often", "--every", "1h", "--description", "v0", "--", "true")
	time.Sleep(1500 * time.Millisecond) // the creation is then clearly older than the revisions the bucket keeps
	for i := 1; i <= 12; i++ {
		s.ok("job", "create", "often", "--update", "--every", "1h", "--description", fmt.Sprintf("v%d", i), "--reason", fmt.Sprintf("step %d", i), "--", "true")
	}
	h := s.jobHistory("often")
	require.Len(t, h.Revisions, 13)
	for i, r := range h.Revisions[1:] {
		require.Equal(t, fmt.Sprintf("step %d", i+1), r.Reason)
	}
	first := h.Revisions[0].Revision
	// The ledger reads the whole history too: it does not say that the
	// definition history before some revision is lost.
	var l ledger.Ledger
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "audit", "often", "--since", "1h", "-o", "json")), &l))
	for _, n := range l.Notes {
		require.NotContains(t, n, "is not kept", "the jobs bucket keeps 10 revisions, the history all 13")
	}
	s.ok("job", "rollback", "often", "--to", strconv.FormatUint(first, 10))
	require.Equal(t, "v0", jobSpecOf(t, s, "often").Description)

	// apply --dry-run shows the diff and the fire times, and writes nothing.
	dir := t.TempDir()
	f := writeFile(t, dir, "often.yaml", "name: often\ndescription: v0\nschedule: {every: 2h}\ntask: {kind: command, command: [\"true\"]}\n")
	out := s.ok("apply", "-f", f, "--dry-run")
	t.Logf("apply --dry-run:\n%s", out)
	require.Contains(t, out, "job often updated (schedule) (dry run)")
	require.Contains(t, out, "schedule.every")
	require.Contains(t, out, "next fire times change")
	cur := s.jobHistory("often").Current
	out = s.ok("apply", "-f", f, "--reason", "slower")
	require.Contains(t, out, "job often updated")
	h = s.jobHistory("often")
	require.Greater(t, h.Current, cur)
	require.Equal(t, "slower", h.Revisions[len(h.Revisions)-1].Reason)
}
