package ledger

import (
	"fmt"
	"slices"
	"time"
)

// slot is one expected slot and the definition in force for it.
type slot struct {
	at       time.Time
	revision uint64
	paused   bool
	why      string // the disabling's reason, for a paused slot
	jitter   time.Duration
}

// Expected is the slots a job's definition history expected in a window,
// before any event is read: Expect computes it, Account adds the events.
type Expected struct {
	q     Query
	revs  []Revision
	slots []slot
	total int
	notes []string
}

// From returns the oldest slot listed (the window's start when none is
// left out): events of the listed slots were published after it.
func (x Expected) From() time.Time {
	if len(x.slots) > 0 {
		return x.slots[0].at
	}
	return x.q.Since
}

// Query returns the query, with its defaults filled.
func (x Expected) Query() Query { return x.q }

// Expect enumerates the slots revs (oldest first) expected in q's window.
// It keeps the newest q.MaxRows of them, and fails with ErrTooManySlots
// past q.MaxScan.
func Expect(revs []Revision, q Query) (Expected, error) {
	q = q.WithDefaults()
	if q.Since.After(q.Until) {
		return Expected{}, fmt.Errorf("since %s is after until %s", q.Since.Format(time.RFC3339), q.Until.Format(time.RFC3339))
	}
	revs = slices.Clone(revs)
	slices.SortStableFunc(revs, func(a, b Revision) int { return a.At.Compare(b.At) })
	stampedStarts(revs)
	x := Expected{q: q, revs: revs}
	if len(revs) > 0 && q.Since.Before(revs[0].At) && truncatedHistory(revs[0]) {
		x.notes = append(x.notes, fmt.Sprintf("the definition history before %s is not kept (the jobs bucket keeps the last revisions of a job): slots before it are not listed", revs[0].At.UTC().Format(time.RFC3339)))
	}
	// The ring grows as slots come: the watchdog asks every job each
	// round, most with a handful of slots in the window, and a ring made
	// at its full size (MaxRows) would allocate for the most.
	var ring []slot
	head := 0 // with a full ring, the index of its oldest slot
	for i, r := range revs {
		if r.Def == nil {
			continue
		}
		f := r.Def.LedgerFields()
		end := q.Until
		if i+1 < len(revs) && !revs[i+1].At.After(end) {
			end = revs[i+1].At.Add(-time.Nanosecond)
		}
		if !q.CompletedAfter.IsZero() && q.CompletedAfter.Before(end) {
			end = q.CompletedAfter
		}
		from := latest(q.Since, r.At, owedFrom(f))
		if from.After(end) {
			continue
		}
		sched, err := f.Schedule.Compile()
		if err != nil {
			x.notes = append(x.notes, fmt.Sprintf("revision %d has a schedule that does not compile (%v): its slots are not listed", r.Revision, err))
			continue
		}
		for t := sched.Next(from.Add(-time.Nanosecond)); !t.IsZero() && !t.After(end); t = sched.Next(t) {
			x.total++
			if x.total > q.MaxScan {
				return Expected{}, fmt.Errorf("more than %d slots from %s: %w", q.MaxScan, q.Since.UTC().Format(time.RFC3339), ErrTooManySlots)
			}
			s := slot{at: t.UTC(), revision: r.Revision, paused: f.Disabled, why: f.DisabledReason, jitter: f.Jitter}
			if len(ring) < q.MaxRows {
				ring = append(ring, s)
				continue
			}
			ring[head] = s
			head = (head + 1) % len(ring)
		}
	}
	x.slots = append(ring[head:len(ring):len(ring)], ring[:head]...)
	if left := x.total - len(x.slots); left > 0 {
		x.notes = append(x.notes, fmt.Sprintf("the window holds %d slots: the newest %d are listed, from %s; %d older ones are left out (narrow --since and --until to see them)",
			x.total, len(x.slots), x.From().Format(time.RFC3339), left))
	}
	return x, nil
}

// owedFrom is the first instant a definition owes slots from, as the
// scheduler reckons it.
func owedFrom(s Fields) time.Time {
	if s.EnabledAt.IsZero() {
		return s.CreatedAt
	}
	return s.EnabledAt
}

// stampedStarts moves the start of each revision that created, enabled or
// re-scheduled its job to the instant the API stamped it (EnabledAt, in
// the same write as UpdatedAt), from when the jobs bucket stored it (At):
// the scheduler owes slots from EnabledAt, and a loaded API stores a
// definition a moment after stamping it. Without this, a slot in between
// (an every-1s job's first) fired but was expected of no definition, and
// the watchdog could not see it late. revs are sorted by At.
func stampedStarts(revs []Revision) {
	for i := range revs {
		r := &revs[i]
		if r.Def == nil {
			continue
		}
		f := r.Def.LedgerFields()
		if f.UpdatedAt.IsZero() {
			continue
		}
		on := f.EnabledAt
		if on.IsZero() || (f.UpdatedAt.Sub(on)).Abs() >= time.Second || !on.Before(r.At) || r.At.Sub(on) > time.Minute {
			continue // not stamped by this write, or implausibly long before it was stored
		}
		if i > 0 && !on.After(revs[i-1].At) {
			continue
		}
		r.At = on
	}
}

// truncatedHistory reports whether the oldest revision kept is not the
// job's creation: older revisions were dropped by the bucket.
func truncatedHistory(r Revision) bool {
	if r.Def == nil {
		return true
	}
	created := r.Def.LedgerFields().CreatedAt
	return created.IsZero() || created.Before(r.At.Add(-time.Second))
}

func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// revisionAt returns the revision in force at t, if any.
func revisionAt(revs []Revision, t time.Time) (Revision, bool) {
	i, _ := slices.BinarySearchFunc(revs, t, func(r Revision, t time.Time) int {
		if r.At.After(t) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return Revision{}, false
	}
	return revs[i-1], true
}
