package topology

import (
	"github.com/nats-io/nats.go/jetstream"
)

// HistoryMaxRevisions is how many revisions of one job's definition the
// history stream keeps (pkg/history).
const HistoryMaxRevisions = 1000

// HistoryStream is the stream of job definition revisions (pkg/history).
func (n Names) HistoryStream() string { return n.stream("HISTORY") }

// HistorySubjects is the history stream's subject space.
func (n Names) HistorySubjects() string { return n.ns + ".history.>" }

// HistorySubject is the subject of a job's revisions.
func (n Names) HistorySubject(job string) string { return n.ns + ".history." + job }

// HistoryStreamConfig returns the history stream's configuration: append
// only, at most HistoryMaxRevisions records per job. It does not age with
// the events stream: a definition written once a year still has its
// history; the count per job is its bound.
func (c Config) HistoryStreamConfig() jetstream.StreamConfig {
	c = c.WithDefaults()
	n := c.Names()
	return jetstream.StreamConfig{
		Name:              n.HistoryStream(),
		Description:       "jetcron job definition revisions (append-only)",
		Subjects:          []string{n.HistorySubjects()},
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardOld,
		MaxBytes:          -1,
		MaxMsgs:           -1,
		MaxMsgsPerSubject: HistoryMaxRevisions,
		Duplicates:        c.DuplicateWindow,
		DenyDelete:        true,
		DenyPurge:         true,
		Storage:           c.storage(),
		Replicas:          c.Replicas,
		AllowDirect:       true,
	}
}
