package scheduler

import (
	"fmt"
	"reflect"
	"testing"
	"time"

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

// TestJobInfoKeepsEveryField: a definition put together from its own
// fields and its shared shape is the definition, every field of it.
func TestJobInfoKeepsEveryField(t *testing.T) {
	t.Parallel()
	ss := newSpecShapes()
	for seed := range 3 {
		s := filledSpec(seed)
		require.Equal(t, s, ss.info(s, 7).spec())
		require.Equal(t, s, newJobInfo(s, 7).spec())
	}
	// Timestamps as they come from JSON: in UTC, in another zone, zero,
	// far ahead; each comes back as it was.
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	for _, ts := range [][4]time.Time{
		{mustParse(t, "2026-12-04T11:53:37.994003013Z"), mustParse(t, "2026-12-04T11:53:38Z"), {}, mustParse(t, "1970-01-01T00:00:00Z")},
		{mustParse(t, "2026-12-04T12:53:37.5+01:00"), {}, {}, {}},
		{time.Date(2026, 3, 29, 2, 30, 0, 0, berlin), {}, {}, {}},
		{mustParse(t, "3000-01-01T00:00:00Z"), mustParse(t, "1600-01-01T00:00:00Z"), {}, {}},
	} {
		s := filledSpec(4)
		s.CreatedAt, s.UpdatedAt, s.EnabledAt, s.DisabledAt = ts[0], ts[1], ts[2], ts[3]
		got := ss.info(s, 8).spec()
		require.Equal(t, s, got)
		for i, g := range []time.Time{got.CreatedAt, got.UpdatedAt, got.EnabledAt, got.DisabledAt} {
			require.Equal(t, ts[i].String(), g.String(), "the same instant in the same zone")
		}
	}
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return v
}

// TestJobInfoSharesShapes: jobs that differ only in their own fields share
// one shape; a difference in any other field of job.Spec (one added later
// too) makes another shape; the last job of a shape to go forgets it.
func TestJobInfoSharesShapes(t *testing.T) {
	t.Parallel()
	ss := newSpecShapes()
	a := filledSpec(1)
	b := a
	b.Name, b.Params, b.Schedule.Cron, b.CreatedAt = "other", map[string]string{"k": "v"}, "0 * * * *", time.Now()
	ia, ib := ss.info(a, 1), ss.info(b, 2)
	require.Same(t, ia.shape, ib.shape)
	require.Equal(t, b, ib.spec())
	require.Len(t, ss.byKey, 1)

	own := map[string]bool{"CreatedAt": true, "UpdatedAt": true, "EnabledAt": true, "DisabledAt": true} // ownFields.Stamps
	for f := range reflect.TypeFor[ownFields]().Fields() {
		own[f.Name] = true
	}
	other := filledSpec(2)
	var infos []*jobInfo
	for i, f := range reflect.VisibleFields(reflect.TypeFor[job.Spec]()) {
		if own[f.Name] || len(f.Index) > 1 {
			continue
		}
		c := a
		reflect.ValueOf(&c).Elem().FieldByIndex(f.Index).Set(reflect.ValueOf(other).FieldByIndex(f.Index))
		ic := ss.info(c, uint64(10+i))
		require.NotSame(t, ia.shape, ic.shape, "job.Spec.%s differs: another shape", f.Name)
		require.Equal(t, c, ic.spec(), f.Name)
		infos = append(infos, ic)
	}
	for _, ji := range append(infos, ia) {
		ss.release(ji)
	}
	require.Len(t, ss.byKey, 1, "b's shape is still held")
	ss.release(ib)
	require.Empty(t, ss.byKey)
	require.NotSame(t, ib.shape, ss.info(b, 3).shape, "a shape forgotten is not found among the recent ones")
}
