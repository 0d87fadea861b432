package catalog

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

// TestDecodePendingRefusesASlotID: the pending bucket may be written by
// another path than the API; a run under a slot's id (or claiming to be a
// slot) is refused, while a cancel request for a delayed slot is not.
func TestDecodePendingRefusesASlotID(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	slotID := job.ExecutionID("victim", at)
	enc := func(p job.Pending) []byte { b, _ := json.Marshal(p); return b }

	_, err := DecodePending(slotID, enc(job.Pending{ID: slotID, Job: "victim", At: at, Trigger: job.TriggerEnqueue}))
	require.ErrorContains(t, err, "scheduled slot")
	_, err = DecodePending(slotID, enc(job.Pending{ID: slotID, Job: "victim", At: at, Trigger: job.TriggerSchedule}))
	require.Error(t, err)
	adhoc := job.AdHocExecutionID("victim", at)
	_, err = DecodePending(adhoc, enc(job.Pending{ID: adhoc, Job: "victim", At: at, Trigger: job.TriggerSchedule}))
	require.ErrorContains(t, err, "only the schedule")

	p, err := DecodePending(adhoc, enc(job.Pending{ID: adhoc, Job: "victim", At: at, Trigger: job.TriggerEnqueue}))
	require.NoError(t, err)
	require.Equal(t, adhoc, p.ID)
	_, err = DecodePending(slotID, enc(job.Pending{ID: slotID, Job: "victim", At: at, Trigger: job.TriggerSchedule, Cancel: "stop"}))
	require.NoError(t, err, "a cancel request may name a delayed slot")
}

// TestDecodeSpec: the jobs bucket may be written by another path than the
// API; a definition is refused with the field at fault, never trusted, and
// one that passes gets the defaults the API would have stored.
func TestDecodeSpec(t *testing.T) {
	t.Parallel()
	const valid = `{"name":"a","schedule":{"every":"1m"},"task":{"kind":"command","command":["true"]}}`
	cases := []struct {
		name  string
		key   string
		data  string
		field string // of the FieldError, if the refusal is one
		msg   string // part of the message otherwise
	}{
		{"NotJSON", "a", `not json`, "", "not a job definition"},
		{"UnknownField", "a", `{"name":"a","colour":"blue"}`, "", "not a job definition"},
		{"UnknownNestedField", "a", `{"name":"a","schedule":{"every":"1m","often":true},"task":{"kind":"command","command":["true"]}}`, "", "not a job definition"},
		{"SecondValue", "a", valid + `{"name":"a"}`, "", "not a job definition"},
		{"TrailingGarbage", "a", valid + ` x`, "", "not a job definition"},
		{"KeyMismatch", "b", valid, "", "does not match its key"},
		{"EveryTooShort", "a", `{"name":"a","schedule":{"every":"10ms"},"task":{"kind":"command","command":["true"]}}`, "schedule.every", ""},
		{"NoProgram", "a", `{"name":"a","schedule":{"every":"1m"},"task":{"kind":"command"}}`, "task.command", ""},
		{"UnknownKind", "a", `{"name":"a","schedule":{"every":"1m"},"task":{"kind":"cobol"}}`, "task.kind", ""},
		{"NoHTTPRequest", "a", `{"name":"a","schedule":{"every":"1m"},"task":{"kind":"http"}}`, "task.http", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := DecodeSpec(tc.key, []byte(tc.data))
			require.Error(t, err)
			require.Nil(t, s)
			if tc.field == "" {
				require.ErrorContains(t, err, tc.msg)
				return
			}
			require.ErrorIs(t, err, job.ErrInvalid)
			var fe *job.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.field, fe.Field, "%v", err)
		})
	}

	s, err := DecodeSpec("a", []byte(valid))
	require.NoError(t, err)
	want := job.Spec{Name: "a", Schedule: job.Schedule{Every: job.Duration(time.Minute)}, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}}
	require.Equal(t, want.WithDefaults(), *s, "the defaults the API would have stored")
}
