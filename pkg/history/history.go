package history

import (
	"cmp"
	"slices"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// Version is the schema version of Record.
const Version = 1

// MaxRevisions is how many records the history stream keeps per job; older
// ones are dropped first.
const MaxRevisions = 1000

// Op is what a revision did to the job.
type Op string

// Values of Op.
const (
	OpCreated    Op = "created"
	OpUpdated    Op = "updated"
	OpDisabled   Op = "disabled"
	OpEnabled    Op = "enabled"
	OpDeleted    Op = "deleted"
	OpRolledBack Op = "rolled_back"
	// OpUnrecorded is a revision the jobs bucket holds without a record:
	// written outside the API, or its record was lost.
	OpUnrecorded Op = "unrecorded"
)

// Record is one revision of a job's definition.
type Record struct {
	V   int    `json:"v"`
	Job string `json:"job"`
	// Revision is the definition's revision in the jobs bucket, the number
	// executions and the ledger name it by.
	Revision uint64    `json:"revision"`
	Op       Op        `json:"op"`
	Time     time.Time `json:"time"`
	// By is the NATS user of the API caller, as its connection declared
	// it (see api.Caller); empty when unknown.
	By string `json:"by,omitempty"`
	// WebUser is the user of the web UI or HTTP API the change came
	// through, if any.
	WebUser string `json:"web_user,omitempty"`
	// Reason is the caller's why (--reason).
	Reason string `json:"reason,omitempty"`
	// RollbackOf is the revision a rollback restored.
	RollbackOf uint64 `json:"rollback_of,omitempty"`
	// Changes names the fields that differ from the previous revision.
	Changes []string `json:"changes,omitempty"`
	// Spec is the definition; nil for a deletion.
	Spec *job.Spec `json:"spec,omitempty"`
	// Summary says in one line what the revision changed; set when read
	// (Summarize), not stored.
	Summary string `json:"summary,omitempty"`
}

// Who says who wrote the revision, for people: "alice (web)", "scheduler",
// or "unknown".
func (r Record) Who() string {
	switch {
	case r.WebUser != "":
		return r.WebUser + " (web)"
	case r.By != "":
		return r.By
	}
	return "unknown"
}

// Redacted returns the record as views show it: secrets masked.
func (r Record) Redacted() Record {
	if r.Spec != nil {
		s := r.Spec.Redacted()
		r.Spec = &s
	}
	return r
}

func sortByRevision(rs []Record) {
	slices.SortStableFunc(rs, func(a, b Record) int { return cmp.Compare(a.Revision, b.Revision) })
}

// Find returns the record of revision rev.
func Find(rs []Record, rev uint64) (Record, bool) {
	for _, r := range rs {
		if r.Revision == rev {
			return r, true
		}
	}
	return Record{}, false
}

// Summarize sets the Summary of each record of a history (oldest first) from
// its diff with the record before it.
func Summarize(rs []Record) {
	var prev *job.Spec
	for i := range rs {
		switch {
		case rs[i].Spec == nil:
			rs[i].Summary = "deleted"
		case prev == nil:
			rs[i].Summary = "created: " + rs[i].Spec.Schedule.String()
		default:
			rs[i].Summary = Summary(Diff(prev, rs[i].Spec))
		}
		prev = rs[i].Spec
	}
}
