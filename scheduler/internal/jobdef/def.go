package jobdef

import (
	"math"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

// Def is one revision of a job's definition.
type Def struct {
	own      ownFields
	shape    *shape
	revision uint64
	// at is when the bucket stored the revision (Unix nanoseconds).
	at int64
}

// ownFields are the fields of a definition kept per job (a Def is 192
// bytes: a million of them are most of a leader's memory).
type ownFields struct {
	Name           string
	Labels, Params map[string]string
	Schedule       job.Schedule
	Disabled       bool
	// Stamps are CreatedAt, UpdatedAt, EnabledAt and DisabledAt.
	Stamps stamps
	// Rare are the own fields most jobs leave empty; nil when all are.
	Rare *rareFields
}

// rareFields are the own fields of a definition that most jobs leave
// empty, and its stamps when Unix nanoseconds cannot keep them as they are.
type rareFields struct {
	Description    string
	Env            map[string]string
	DisabledReason string
	Stamps         *[4]time.Time
}

// shape is the rest of a definition, shared by the jobs that have it.
type shape struct {
	// key is the shape's JSON encoding (its key in the Store); empty for
	// a shape of one Def (Own).
	key  string
	spec job.Spec
}

// split returns a definition's own fields and the rest (the own fields
// zeroed).
func split(s job.Spec) (ownFields, job.Spec) {
	own := ownFields{Name: s.Name, Labels: s.Labels, Params: s.Params, Schedule: s.Schedule, Disabled: s.Disabled}
	ts := [4]time.Time{s.CreatedAt, s.UpdatedAt, s.EnabledAt, s.DisabledAt}
	var exact bool
	own.Stamps, exact = stampsOf(ts)
	if s.Description != "" || s.Env != nil || s.DisabledReason != "" || !exact {
		own.Rare = &rareFields{Description: s.Description, Env: s.Env, DisabledReason: s.DisabledReason}
		if !exact {
			own.Rare.Stamps = &ts
		}
	}
	s.Name, s.Description, s.Labels, s.Params, s.Env = "", "", nil, nil, nil
	s.Schedule, s.Disabled, s.DisabledReason = job.Schedule{}, false, ""
	s.CreatedAt, s.UpdatedAt, s.EnabledAt, s.DisabledAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return own, s
}

// Own returns a Def of its own (its shape shared with none, the Store not
// asked), for a definition that is not kept, stored at `at`.
func Own(s job.Spec, revision uint64, at time.Time) *Def {
	own, rest := split(s)
	return &Def{own: own, shape: &shape{spec: rest}, revision: revision, at: at.UnixNano()}
}

// Spec returns the definition.
func (d *Def) Spec() job.Spec {
	s := d.shape.spec
	o := &d.own
	s.Name, s.Labels, s.Params, s.Schedule, s.Disabled = o.Name, o.Labels, o.Params, o.Schedule, o.Disabled
	if r := o.Rare; r != nil {
		s.Description, s.Env, s.DisabledReason = r.Description, r.Env, r.DisabledReason
	}
	ts := d.stamps()
	s.CreatedAt, s.UpdatedAt, s.EnabledAt, s.DisabledAt = ts[0], ts[1], ts[2], ts[3]
	return s
}

// Name is the job's name.
func (d *Def) Name() string { return d.own.Name }

// Revision is the definition's revision in the jobs bucket.
func (d *Def) Revision() uint64 { return d.revision }

// At is when the jobs bucket stored the revision: when it took effect.
func (d *Def) At() time.Time { return time.Unix(0, d.at).UTC() }

// is reports whether d is revision of key stored at `at` (Unix
// nanoseconds).
func (d *Def) is(key string, revision uint64, at int64) bool {
	return d.revision == revision && d.at == at && d.own.Name == key
}

// Schedule is the job's schedule, shared: read it, never change it.
func (d *Def) Schedule() *job.Schedule { return &d.own.Schedule }

// Disabled reports whether the job is disabled, and why.
func (d *Def) Disabled() (bool, string) { return d.own.Disabled, d.disabledReason() }

func (d *Def) disabledReason() string {
	if d.own.Rare == nil {
		return ""
	}
	return d.own.Rare.DisabledReason
}

// stamps returns the definition's four timestamps.
func (d *Def) stamps() [4]time.Time {
	if r := d.own.Rare; r != nil && r.Stamps != nil {
		return *r.Stamps
	}
	return d.own.Stamps.times()
}

// Labels are the job's labels, shared: read them, never change them.
func (d *Def) Labels() map[string]string { return d.own.Labels }

// Expect is what the job is expected to do.
func (d *Def) Expect() job.Expect { return d.shape.spec.Expect }

// Jitter is the job's jitter.
func (d *Def) Jitter() time.Duration { return d.shape.spec.Jitter.D() }

// Completions is how many runs complete the job (0: no limit).
func (d *Def) Completions() int { return d.shape.spec.Completions }

// LedgerFields returns what a ledger reads of the definition
// (ledger.Definition).
func (d *Def) LedgerFields() ledger.Fields {
	ts := d.stamps()
	return ledger.Fields{Schedule: &d.own.Schedule, Disabled: d.own.Disabled, DisabledReason: d.disabledReason(),
		Jitter: d.Jitter(), CreatedAt: ts[0], UpdatedAt: ts[1], EnabledAt: ts[2]}
}

// stamps are a definition's four timestamps. The API writes them in UTC,
// and then they are kept as Unix nanoseconds, 32 bytes instead of 96;
// others (another zone, a year outside 1678-2261) are kept as they are,
// in rareFields.
type stamps [4]int64

// noStamp is the zero time among Unix nanoseconds.
const noStamp = math.MinInt64

// stampsOf returns ts as Unix nanoseconds, and whether they keep ts
// exactly.
func stampsOf(ts [4]time.Time) (stamps, bool) {
	var s stamps
	for i, t := range ts {
		switch {
		case t.IsZero():
			s[i] = noStamp
		case t.Location() == time.UTC && t.Year() >= 1678 && t.Year() <= 2261 && t.Equal(time.Unix(0, t.UnixNano()).UTC()):
			s[i] = t.UnixNano()
		default:
			return stamps{}, false
		}
	}
	return s, true
}

func (s stamps) times() [4]time.Time {
	var ts [4]time.Time
	for i, n := range s {
		if n != noStamp {
			ts[i] = time.Unix(0, n).UTC()
		}
	}
	return ts
}
