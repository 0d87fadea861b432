package jobdef

import (
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

// fill sets every field reachable from v to a non-zero value derived from
// seed (strings, numbers, bools, times, pointers, slices and maps).
func fill(v reflect.Value, seed int) {
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(time.Date(2026, 1, 1, 0, 0, seed, 0, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", seed))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed + 1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(seed + 1))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(seed) + 0.5)
	case reflect.Bool:
		v.SetBool(seed%2 == 0)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), seed)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), seed)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, seed)
		fill(e, seed)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed)
			}
		}
	}
}

func filledSpec(seed int) job.Spec {
	var s job.Spec
	fill(reflect.ValueOf(&s).Elem(), seed)
	return s
}

var t0 = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

// TestDefKeepsEveryField: a definition put together from its own fields
// and its shared shape is the definition, every field of it.
func TestDefKeepsEveryField(t *testing.T) {
	t.Parallel()
	st := NewStore()
	for seed := range 3 {
		s := filledSpec(seed)
		require.Equal(t, s, st.Def(s, 7, t0).Spec())
		require.Equal(t, s, Own(s, 7, t0).Spec())
	}
	// Most jobs: no description, environment or reason, stamps in UTC.
	s := filledSpec(5)
	s.Description, s.Env, s.DisabledReason = "", nil, ""
	s.CreatedAt, s.UpdatedAt, s.EnabledAt, s.DisabledAt = t0, t0.Add(time.Second), t0, time.Time{}
	d := st.Def(s, 7, t0)
	require.Nil(t, d.own.Rare, "nothing rare to keep")
	require.Equal(t, s, d.Spec())
	// Timestamps as they come from JSON: in UTC, in another zone, zero,
	// far ahead; each comes back as it was.
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	for i, ts := range [][4]time.Time{
		{mustParse(t, "2026-12-04T11:53:37.994003013Z"), mustParse(t, "2026-12-04T11:53:38Z"), {}, mustParse(t, "1970-01-01T00:00:00Z")},
		{mustParse(t, "2026-12-04T12:53:37.5+01:00"), {}, {}, {}},
		{time.Date(2026, 3, 29, 2, 30, 0, 0, berlin), {}, {}, {}},
		{mustParse(t, "3000-01-01T00:00:00Z"), mustParse(t, "1600-01-01T00:00:00Z"), {}, {}},
	} {
		s := filledSpec(4)
		s.CreatedAt, s.UpdatedAt, s.EnabledAt, s.DisabledAt = ts[0], ts[1], ts[2], ts[3]
		got := st.Def(s, uint64(8+i), t0).Spec()
		require.Equal(t, s, got)
		for j, g := range []time.Time{got.CreatedAt, got.UpdatedAt, got.EnabledAt, got.DisabledAt} {
			require.Equal(t, ts[j].String(), g.String(), "the same instant in the same zone")
		}
	}
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return v
}

// TestDefsShareShapes: jobs that differ only in their own fields share
// one shape; a difference in any other field of job.Spec (one added later
// too) makes another shape.
func TestDefsShareShapes(t *testing.T) {
	t.Parallel()
	st := NewStore()
	a := filledSpec(1)
	b := a
	b.Name, b.Params, b.Schedule.Cron, b.CreatedAt = "other", map[string]string{"k": "v"}, "0 * * * *", time.Now()
	da, db := st.Def(a, 1, t0), st.Def(b, 2, t0)
	require.Same(t, da.shape, db.shape)
	require.Equal(t, b, db.Spec())

	own := map[string]bool{"CreatedAt": true, "UpdatedAt": true, "EnabledAt": true, "DisabledAt": true} // ownFields.Stamps
	for f := range reflect.TypeFor[ownFields]().Fields() {
		own[f.Name] = true
	}
	for f := range reflect.TypeFor[rareFields]().Fields() {
		own[f.Name] = true
	}
	other := filledSpec(2)
	for i, f := range reflect.VisibleFields(reflect.TypeFor[job.Spec]()) {
		if own[f.Name] || len(f.Index) > 1 {
			continue
		}
		c := a
		c.Name = fmt.Sprintf("c%d", i)
		reflect.ValueOf(&c).Elem().FieldByIndex(f.Index).Set(reflect.ValueOf(other).FieldByIndex(f.Index))
		dc := st.Def(c, uint64(10+i), t0)
		require.NotSame(t, da.shape, dc.shape, "job.Spec.%s differs: another shape", f.Name)
		require.Equal(t, c, dc.Spec(), f.Name)
	}
	runtime.KeepAlive(da)
}

// TestStoreHandsOutOneDefPerRevision: the leader and the watchdog each
// decode a revision and ask the Store; the second gets the first's Def.
// Another revision, or the same number stored at another instant (a bucket
// made again), is another Def.
func TestStoreHandsOutOneDefPerRevision(t *testing.T) {
	t.Parallel()
	st := NewStore()
	s := filledSpec(3)
	leader := st.Def(s, 5, t0)
	require.Same(t, leader, st.Def(filledSpec(3), 5, t0), "the same revision: the same Def")
	newer := st.Def(s, 6, t0.Add(time.Second))
	require.NotSame(t, leader, newer)
	require.Equal(t, uint64(6), newer.Revision())
	again := st.Def(s, 6, t0.Add(time.Hour))
	require.NotSame(t, newer, again, "a revision number stored at another instant is another definition")
	require.Same(t, newer.shape, again.shape)
	runtime.KeepAlive(leader)
}

// TestStoreForgetsWhatNoRoleHolds: a Def and a shape nobody holds are
// collected and the Store drops their entries; what a role still holds is
// kept and handed out again.
func TestStoreForgetsWhatNoRoleHolds(t *testing.T) {
	st := NewStore()
	kept := make([]*Def, 0, minSweep)
	for i := range 4 * minSweep {
		s := filledSpec(i % 7)
		s.Name = fmt.Sprintf("job-%d", i)
		s.Timeout = job.Duration(time.Duration(i) * time.Second) // a shape of its own
		d := st.Def(s, 1, t0)
		if i%4 == 0 {
			kept = append(kept, d)
		}
	}
	runtime.GC()
	// A new job makes the Store sweep once its map is full enough.
	for i := range 2 * minSweep {
		s := filledSpec(1)
		s.Name = fmt.Sprintf("new-%d", i)
		st.Def(s, 1, t0)
	}
	defs, shapes := st.sizes()
	require.Less(t, defs, 4*minSweep, "the Defs nobody held were dropped")
	require.Less(t, shapes, 4*minSweep, "the shapes nobody held were dropped")
	for _, d := range kept {
		require.Same(t, d, st.Def(d.Spec(), 1, t0), "a Def held is still handed out")
	}
}

// entry is a jobs bucket entry.
type entry struct {
	jetstream.KeyValueEntry
	key   string
	value []byte
	rev   uint64
	at    time.Time
}

func (e entry) Key() string        { return e.key }
func (e entry) Value() []byte      { return e.value }
func (e entry) Revision() uint64   { return e.rev }
func (e entry) Created() time.Time { return e.at }

// TestDecodeOnceForBothRoles: the second role to read a revision gets the
// first one's Def without decoding it (a value that would not decode shows
// it); another revision is decoded and checked.
func TestDecodeOnceForBothRoles(t *testing.T) {
	t.Parallel()
	st := NewStore()
	valid := []byte(`{"name":"a","schedule":{"every":"1m"},"task":{"kind":"command","command":["true"]}}`)
	first, err := st.Decode(entry{key: "a", value: valid, rev: 3, at: t0})
	require.NoError(t, err)
	require.Equal(t, "a", first.Name())
	require.Equal(t, t0, first.At())

	second, err := st.Decode(entry{key: "a", value: []byte("not read"), rev: 3, at: t0})
	require.NoError(t, err)
	require.Same(t, first, second)

	_, err = st.Decode(entry{key: "a", value: []byte("not json"), rev: 4, at: t0.Add(time.Second)})
	require.ErrorContains(t, err, "not a job definition")
	_, err = st.Decode(entry{key: "b", value: valid, rev: 3, at: t0})
	require.ErrorContains(t, err, "does not match its key", "another key's revision is decoded and checked")
	runtime.KeepAlive(first)
}

// TestDefSize: a leader holds a Def per job, a million at scale.
func TestDefSize(t *testing.T) {
	t.Parallel()
	require.LessOrEqual(t, unsafe.Sizeof(Def{}), uintptr(192))
}
