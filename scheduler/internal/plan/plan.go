package plan

import (
	"container/heap"
	"math"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

// Limits on the work one decision does for missed slots.
const (
	MaxMissedEvents = 100
	MaxMissedCount  = 100_000
	// LateThreshold is how late a slot may fire and still count as on time
	// (trigger "schedule" rather than "catchup").
	LateThreshold = 5 * time.Second
)

// Entry is a job as the planner sees it.
type Entry struct {
	Job      string
	Schedule schedule.Schedule
	// Jitter delays every fire of the job by this fixed offset.
	Jitter time.Duration
	// Window and Latest are the catch-up policy.
	Window time.Duration
	Latest bool
	// Cursor is the newest slot accounted for (zero: none).
	Cursor time.Time
	// NotBefore: slots before it are never owed (creation or enable time).
	NotBefore time.Time
	// Remaining fires before the job completes; negative means unlimited.
	Remaining int64
	// Skip, when set, says whether a calendar skips a slot due now (see
	// skip.go); asked when the slot is decided, so calendar changes apply
	// at once.
	Skip func(time.Time) (string, bool)
}

// Slot is a slot to fire.
type Slot struct {
	At      time.Time
	Trigger job.Trigger
}

// MissedRange summarises missed slots beyond the individually listed ones.
type MissedRange struct {
	First, Last time.Time
	// Count of slots in the range; a lower bound if AtLeast.
	Count   int
	AtLeast bool
}

// Decision is what to do for one due job.
type Decision struct {
	Job    string
	Fire   []Slot
	Missed []time.Time
	// MissedRange covers missed slots after those in Missed, if any.
	MissedRange *MissedRange
	// Skipped are the due slots a calendar skips (Entry.Skip).
	Skipped []Skipped
	// Cursor is the job's cursor once the decision is carried out.
	Cursor time.Time
	// Done means the schedule has no slot after Cursor (or completions were
	// reached): the job is complete.
	Done bool
}

// Plan holds the entries of the jobs ordered by their next fire time. It
// keeps no index of its own: the caller holds each job's Item, in the table
// where it keeps the job (a leader's of a million jobs is one map, not two).
// It is not safe for concurrent use: one goroutine owns it.
type Plan struct {
	h entryHeap
}

// Item is a job's place in the plan: its entry, kept compact, and when it
// is due. Its zero value is a job out of the plan. A leader holds one per
// job, a million of them at scale: it is 96 bytes (TestItemSize), where an
// Entry and a time.Time made 160.
type Item struct {
	job       string
	schedule  schedule.Schedule
	jitter    time.Duration
	window    time.Duration
	remaining int64
	// cursor and notBefore are Unix nanoseconds (noTime: the zero Time),
	// unless rare holds them.
	cursor, notBefore int64
	// due is the next slot after the cursor + jitter, or a retry time, in
	// Unix nanoseconds (beyond what they hold: the nearest they do).
	due  int64
	rare *rareFields
	// pos is 1 + the item's index in the heap; 0 when out of the plan.
	pos    int32
	latest bool
}

// rareFields are what few entries have: calendars, and instants that Unix
// nanoseconds cannot hold (outside the years 1678–2261).
type rareFields struct {
	skip              func(time.Time) (string, bool)
	cursor, notBefore time.Time
	exact             bool // cursor and notBefore are here
}

// noTime stands for the zero Time in an item's instants.
const noTime = math.MinInt64

// nanos returns t in Unix nanoseconds, and whether they hold its instant.
// (Its location is not kept: an entry's instants come back in UTC, and a
// schedule answers in its own zone whatever the zone it is asked in.)
func nanos(t time.Time) (int64, bool) {
	if t.IsZero() {
		return noTime, true
	}
	if y := t.UTC().Year(); y < 1678 || y > 2261 {
		return 0, false
	}
	return t.UnixNano(), true
}

// fromNanos is the inverse of nanos, in UTC.
func fromNanos(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// dueNanos is a due time in Unix nanoseconds, saturated: only its order and
// the wait until it matter.
func dueNanos(t time.Time) int64 {
	switch y := t.UTC().Year(); {
	case y < 1678:
		return math.MinInt64 + 1
	case y > 2261:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// set makes the item hold e (out of the plan).
func (it *Item) set(e Entry) {
	*it = Item{job: e.Job, schedule: e.Schedule, jitter: e.Jitter, window: e.Window, remaining: e.Remaining, latest: e.Latest}
	if e.Skip != nil {
		it.rare = &rareFields{skip: e.Skip}
	}
	it.setTimes(e.Cursor, e.NotBefore)
}

// setTimes sets the item's cursor and notBefore.
func (it *Item) setTimes(cursor, notBefore time.Time) {
	c, okC := nanos(cursor)
	n, okN := nanos(notBefore)
	if okC && okN {
		it.cursor, it.notBefore = c, n
		if it.rare != nil {
			it.rare.cursor, it.rare.notBefore, it.rare.exact = time.Time{}, time.Time{}, false
			if it.rare.skip == nil {
				it.rare = nil
			}
		}
		return
	}
	if it.rare == nil {
		it.rare = &rareFields{}
	}
	it.rare.cursor, it.rare.notBefore, it.rare.exact = cursor, notBefore, true
}

// entry returns the item's entry.
func (it *Item) entry() Entry {
	e := Entry{Job: it.job, Schedule: it.schedule, Jitter: it.jitter, Window: it.window, Latest: it.latest, Remaining: it.remaining,
		Cursor: fromNanos(it.cursor), NotBefore: fromNanos(it.notBefore)}
	if it.rare != nil {
		e.Skip = it.rare.skip
		if it.rare.exact {
			e.Cursor, e.NotBefore = it.rare.cursor, it.rare.notBefore
		}
	}
	return e
}

// New returns an empty plan.
func New() *Plan { return &Plan{} }

// NewSized returns an empty plan with room for n jobs: a plan loaded with
// a million jobs does not grow its heap twenty times on the way.
func NewSized(n int) *Plan { return &Plan{h: make(entryHeap, 0, n)} }

// Len returns the number of jobs in the plan.
func (p *Plan) Len() int { return len(p.h) }

// Upsert puts a job's entry in the plan, in its item it, replacing what it
// held. It reports whether the job has any slot left to plan (false means
// complete: it is left out of the plan).
func (p *Plan) Upsert(it *Item, e Entry) bool {
	p.Remove(it)
	next := firstAfter(e)
	if next.IsZero() || e.Remaining == 0 {
		return false
	}
	it.set(e)
	it.due = dueNanos(next.Add(e.Jitter))
	heap.Push(&p.h, it)
	return true
}

// Remove takes a job's item out of the plan, if it is in it.
func (p *Plan) Remove(it *Item) {
	if it.pos > 0 {
		heap.Remove(&p.h, int(it.pos-1))
		*it = Item{}
	}
}

// Get returns the entry of a job's item, if it is in the plan.
func (p *Plan) Get(it *Item) (Entry, bool) {
	if it.pos == 0 {
		return Entry{}, false
	}
	return it.entry(), true
}

// NextDue returns when the earliest entry is due.
func (p *Plan) NextDue() (time.Time, bool) {
	if len(p.h) == 0 {
		return time.Time{}, false
	}
	return fromNanos(p.h[0].due), true
}

// Retry makes a job due again at t without moving its cursor (used when
// carrying out a decision failed), if its item is in the plan.
func (p *Plan) Retry(it *Item, cursor time.Time, t time.Time) {
	if it.pos == 0 {
		return
	}
	e := it.entry()
	it.setTimes(cursor, e.NotBefore)
	it.due = dueNanos(t)
	heap.Fix(&p.h, int(it.pos-1))
}

// Due pops every entry due at or before now and returns its decision,
// advancing the entries (completed ones leave the plan). At most max
// decisions are returned (max <= 0 means no limit); the rest stay due.
func (p *Plan) Due(now time.Time, max int) []Decision {
	var out []Decision
	limit := dueNanos(now)
	for len(p.h) > 0 && p.h[0].due <= limit && (max <= 0 || len(out) < max) {
		it := p.h[0]
		e := it.entry()
		d := decide(e, now)
		fired := int64(len(d.Fire))
		e.Cursor = d.Cursor
		if e.Remaining > 0 {
			e.Remaining -= fired
		}
		next := firstAfter(e)
		if d.Done || next.IsZero() || e.Remaining == 0 {
			d.Done = true
			heap.Pop(&p.h)
			*it = Item{}
		} else {
			it.remaining = e.Remaining
			it.setTimes(e.Cursor, e.NotBefore)
			it.due = dueNanos(next.Add(e.Jitter))
			heap.Fix(&p.h, 0)
		}
		out = append(out, d)
	}
	return out
}

// Unfired returns the decision that records every slot of e after its
// cursor and at or before until as missed, firing none: the slots a
// definition owed that no leader fired before the definition changed (the
// job was disabled, deleted, or given another schedule).
func Unfired(e Entry, until time.Time) Decision {
	e.Window, e.Latest, e.Jitter = 0, false, 0
	d := decide(e, until)
	d.Fire, d.Done = nil, false
	return d
}

// firstAfter returns the first slot after the entry's cursor that is owed.
func firstAfter(e Entry) time.Time {
	from := e.Cursor
	if !e.NotBefore.IsZero() && from.Before(e.NotBefore) {
		from = e.NotBefore.Add(-time.Nanosecond)
	}
	return e.Schedule.Next(from)
}

// decide computes the decision for an entry at now.
func decide(e Entry, now time.Time) Decision {
	d := Decision{Job: e.Job, Cursor: e.Cursor}
	s := firstAfter(e)
	if s.IsZero() {
		d.Done = true
		return d
	}
	horizon := now.Add(-e.Jitter) // slots at or before horizon are due
	windowStart := horizon.Add(-e.Window)
	// Missed: older than the window.
	for !s.IsZero() && !s.After(windowStart) {
		if len(d.Missed) < MaxMissedEvents {
			d.Missed = append(d.Missed, s)
		} else {
			if d.MissedRange == nil {
				d.MissedRange = &MissedRange{First: s}
			}
			d.MissedRange.Last = s
			d.MissedRange.Count++
			if d.MissedRange.Count >= MaxMissedCount {
				d.MissedRange.AtLeast = true
				// Jump to the window without enumerating the rest: every
				// slot up to the window's start is accounted for.
				d.Cursor = windowStart
				s = e.Schedule.Next(windowStart)
				break
			}
		}
		d.Cursor = s
		s = e.Schedule.Next(s)
	}
	// Within the window.
	var inWindow []time.Time
	for !s.IsZero() && !s.After(horizon) {
		if !d.skip(e, s) {
			inWindow = append(inWindow, s)
		}
		s = e.Schedule.Next(s)
	}
	if e.Latest && len(inWindow) > 1 {
		d.Missed = append(d.Missed, inWindow[:len(inWindow)-1]...)
		inWindow = inWindow[len(inWindow)-1:]
	}
	for i, slot := range inWindow {
		if e.Remaining >= 0 && int64(len(d.Fire)) >= e.Remaining {
			d.Done = true
			break
		}
		// A slot fires late to catch up when newer slots are due with it,
		// or when it is later than LateThreshold.
		trig := job.TriggerSchedule
		if i < len(inWindow)-1 || horizon.Sub(slot) > LateThreshold {
			trig = job.TriggerCatchUp
		}
		d.Fire = append(d.Fire, Slot{At: slot, Trigger: trig})
		d.Cursor = slot
	}
	if len(inWindow) > 0 && !d.Done {
		d.Cursor = inWindow[len(inWindow)-1]
	}
	d.settleSkipped()
	if s.IsZero() && !d.Done {
		d.Done = true
	}
	return d
}

type entryHeap []*Item

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	if h[i].due == h[j].due {
		return h[i].job < h[j].job
	}
	return h[i].due < h[j].due
}
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos = int32(i + 1)
	h[j].pos = int32(j + 1)
}
func (h *entryHeap) Push(x any) {
	it := x.(*Item)
	it.pos = int32(len(*h) + 1)
	*h = append(*h, it)
}
func (h *entryHeap) Pop() any {
	old := *h
	n := len(old)
	it := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	it.pos = 0
	return it
}
