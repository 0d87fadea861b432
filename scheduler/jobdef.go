package scheduler

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/plan"
)

// A leader holds every job's definition: it builds each work item from it.
// A decoded job.Spec is half a kilobyte before its strings, so a million
// of them would take most of a gigabyte. But jobs at that scale are made
// from few templates: they differ in name, schedule, params and labels,
// and share their task, queue, retry, overlap and catch-up. So a jobInfo
// keeps the fields that are usually a job's own (ownFields) and points to
// a shape — the rest of the definition, decoded once and shared by every
// job whose rest is the same. spec() puts the definition together again,
// exactly as decoded (every field, including any added to job.Spec later,
// which lands in the shape), without decoding anything.
//
// A shape is shared read-only: nothing in the leader changes a definition
// in place (its maps and slices are shared by the jobs of a shape).

// jobInfo is a job the leader knows.
type jobInfo struct {
	own      ownFields
	shape    *specShape
	revision uint64
}

// ownFields are the fields of a definition kept per job.
type ownFields struct {
	Name, Description   string
	Labels, Params, Env map[string]string
	Schedule            job.Schedule
	Disabled            bool
	DisabledReason      string
	// Stamps are CreatedAt, UpdatedAt, EnabledAt and DisabledAt.
	Stamps stamps
}

// stamps are a definition's four timestamps. The API writes them in UTC,
// and then they are kept as Unix nanoseconds, 32 bytes instead of 96;
// others (another zone, a year outside 1678-2261) are kept as they are.
type stamps struct {
	unix  [4]int64
	other *[4]time.Time
}

// noStamp is the zero time among Unix nanoseconds.
const noStamp = math.MinInt64

func stampsOf(ts [4]time.Time) stamps {
	var s stamps
	for i, t := range ts {
		switch {
		case t.IsZero():
			s.unix[i] = noStamp
		case t.Location() == time.UTC && t.Year() >= 1678 && t.Year() <= 2261 && t.Equal(time.Unix(0, t.UnixNano()).UTC()):
			s.unix[i] = t.UnixNano()
		default:
			return stamps{other: &ts}
		}
	}
	return s
}

func (s stamps) times() [4]time.Time {
	if s.other != nil {
		return *s.other
	}
	var ts [4]time.Time
	for i, n := range s.unix {
		if n != noStamp {
			ts[i] = time.Unix(0, n).UTC()
		}
	}
	return ts
}

// specShape is the rest of a definition, shared by the jobs that have it.
type specShape struct {
	// key is the shape's JSON encoding (its key in specShapes).
	key  string
	spec job.Spec
	// refs counts the jobInfos that point to it.
	refs int
}

// split returns a definition's own fields and the rest (the own fields
// zeroed).
func split(s job.Spec) (ownFields, job.Spec) {
	own := ownFields{Name: s.Name, Description: s.Description, Labels: s.Labels, Params: s.Params, Env: s.Env,
		Schedule: s.Schedule, Disabled: s.Disabled, DisabledReason: s.DisabledReason,
		Stamps: stampsOf([4]time.Time{s.CreatedAt, s.UpdatedAt, s.EnabledAt, s.DisabledAt})}
	s.Name, s.Description, s.Labels, s.Params, s.Env = "", "", nil, nil, nil
	s.Schedule, s.Disabled, s.DisabledReason = job.Schedule{}, false, ""
	s.CreatedAt, s.UpdatedAt, s.EnabledAt, s.DisabledAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return own, s
}

// spec returns the job's definition.
func (ji *jobInfo) spec() job.Spec {
	s := ji.shape.spec
	o := &ji.own
	s.Name, s.Description, s.Labels, s.Params, s.Env = o.Name, o.Description, o.Labels, o.Params, o.Env
	s.Schedule, s.Disabled, s.DisabledReason = o.Schedule, o.Disabled, o.DisabledReason
	ts := o.Stamps.times()
	s.CreatedAt, s.UpdatedAt, s.EnabledAt, s.DisabledAt = ts[0], ts[1], ts[2], ts[3]
	return s
}

// newJobInfo returns a jobInfo of its own (its shape shared with none),
// for a definition the leader does not keep.
func newJobInfo(s job.Spec, revision uint64) *jobInfo {
	own, rest := split(s)
	return &jobInfo{own: own, shape: &specShape{spec: rest, refs: 1}, revision: revision}
}

// specShapes are the shapes of the jobs a leader knows, by key. Jobs come
// in runs of one shape (a bucket is loaded in key order, jobs are made in
// batches): the shapes used last are compared first, which costs less
// than encoding the key.
type specShapes struct {
	byKey  map[string]*specShape
	recent [4]*specShape
}

func newSpecShapes() *specShapes { return &specShapes{byKey: map[string]*specShape{}} }

// info returns the jobInfo of a definition, sharing its shape with the
// jobs that have the same one.
func (ss *specShapes) info(s job.Spec, revision uint64) *jobInfo {
	own, rest := split(s)
	sh := ss.lookup(&rest)
	if sh == nil {
		data, err := json.Marshal(rest)
		if err != nil {
			return &jobInfo{own: own, shape: &specShape{spec: rest, refs: 1}, revision: revision}
		}
		if sh = ss.byKey[string(data)]; sh == nil {
			sh = &specShape{key: string(data), spec: rest}
			ss.byKey[sh.key] = sh
		}
	}
	copy(ss.recent[1:], ss.recent[:len(ss.recent)-1])
	ss.recent[0] = sh
	sh.refs++
	return &jobInfo{own: own, shape: sh, revision: revision}
}

// lookup returns the recent shape equal to rest, if any. (Compared by
// pointer: a job.Spec passed to DeepEqual by value would be copied to the
// heap at every comparison.)
func (ss *specShapes) lookup(rest *job.Spec) *specShape {
	for i, sh := range ss.recent {
		if sh != nil && sh.refs > 0 && reflect.DeepEqual(&sh.spec, rest) {
			copy(ss.recent[1:i+1], ss.recent[:i])
			return sh
		}
	}
	return nil
}

// release drops a jobInfo's hold on its shape; the last one forgets it.
func (ss *specShapes) release(ji *jobInfo) {
	if ji == nil {
		return
	}
	sh := ji.shape
	sh.refs--
	if sh.refs <= 0 && sh.key != "" && ss.byKey[sh.key] == sh {
		delete(ss.byKey, sh.key)
	}
}

// maxPresize bounds the room presize makes.
const maxPresize = 10_000_000

// presize makes room in the job map and the plan for the jobs bucket's
// keys, before the watch loads them (best effort: without the bucket's
// status they grow as they fill).
func (r *leaderRun) presize(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := r.jobs.kv.Status(sctx)
	if err != nil {
		return
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok || bs.StreamInfo() == nil {
		return
	}
	n := int(min(bs.StreamInfo().State.NumSubjects, maxPresize))
	r.jobs.byName = make(map[string]*jobInfo, n)
	r.plan = plan.NewSized(n)
}
