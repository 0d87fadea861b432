package watchdog

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Two replicas' watchdogs, on a clock the test moves, watch a job that no
// leader fires: each detects the unaccounted slot, and the stream keeps
// one alert; the stored health says unaccounted, and a third watchdog
// started later announces nothing again.
func TestReplicasDetectOnceAndTheStateSurvives(t *testing.T) {
	t.Parallel()
	nc, js, topo := setup(t)
	names := topo.Names()

	now := time.Now().UTC().Truncate(time.Second)
	fake := clock.NewFake(now)
	spec, err := job.Spec{Name: "tick", Schedule: job.Schedule{Every: job.Duration(time.Second)},
		Task:      job.Task{Kind: job.TaskCommand, Command: []string{"true"}},
		CreatedAt: now, EnabledAt: now, Expect: job.Expect{StartWithin: job.Duration(2 * time.Second)}}.Normalize()
	require.NoError(t, err)
	data, err := json.Marshal(spec)
	require.NoError(t, err)
	jobs, err := js.KeyValue(t.Context(), names.JobsBucket())
	require.NoError(t, err)
	_, err = jobs.Create(t.Context(), "tick", data)
	require.NoError(t, err)

	start := func(id string) *Watchdog {
		w := New(nc, js, Config{Topology: topo, Detector: id, Interval: time.Hour, Clock: fake})
		require.NoError(t, w.Start(t.Context()))
		t.Cleanup(func() { _ = w.Stop(context.Background()) })
		return w
	}
	a, b := start("a"), start("b")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, a.Check(ctx))
	require.NoError(t, b.Check(ctx))
	require.Empty(t, alertsOf(t, nc, topo.Names().AlertsStream(), names.AlertSubject("tick")), "a new job's first ok is no alert")
	kv, err := js.KeyValue(t.Context(), names.HealthBucket())
	require.NoError(t, err)
	first, ok, err := health.Get(t.Context(), kv, "tick")
	require.NoError(t, err)
	require.True(t, ok, "a new job's first state says ok")
	require.Equal(t, alert.OK, first.Health)

	fake.Advance(5 * time.Second)
	require.NoError(t, a.Check(ctx))
	require.NoError(t, b.Check(ctx))
	require.NoError(t, a.Check(ctx))
	as := alertsOf(t, nc, topo.Names().AlertsStream(), names.AlertSubject("tick"))
	require.Len(t, as, 1, "two replicas, one alert: %+v", as)
	require.Equal(t, alert.Unaccounted, as[0].Health)
	require.Equal(t, alert.OK, as[0].Previous)
	require.True(t, as[0].Slot.Equal(now.Add(time.Second)), "the first slot after the creation: %s", as[0].Slot)

	st, ok, err := health.Get(t.Context(), kv, "tick")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, alert.Unaccounted, st.Health)

	c := start("c")
	require.NoError(t, c.Check(ctx))
	require.Len(t, alertsOf(t, nc, topo.Names().AlertsStream(), names.AlertSubject("tick")), 1, "a restarted replica repeats nothing")
}

// setup starts a server with the topology in place.
func setup(t testing.TB) (*nats.Conn, jetstream.JetStream, topology.Config) {
	t.Helper()
	srv := natstest.RunJetStream(t)
	nc := natstest.Connect(t, srv)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	topo := natstest.Topology(t)
	natstest.Ensure(t, js, topo)
	return nc, js, topo
}

func alertsOf(t *testing.T, conn *nats.Conn, stream, subject string) []alert.Alert {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	msgs, err := streamio.DirectBatch(ctx, conn, streamio.DirectRequest{Stream: stream, Filter: subject, Seq: 1, Batch: 100})
	require.NoError(t, err)
	var out []alert.Alert
	for _, m := range msgs {
		a, err := alert.Decode(m.Data)
		require.NoError(t, err)
		out = append(out, a)
	}
	return out
}

// A round judged from events not read yet would call their slots
// unaccounted: a watchdog behind the stream skips it.
func TestBehindTheEventsSkipsTheRound(t *testing.T) {
	t.Parallel()
	w := New(nil, nil, Config{Clock: clock.NewFake(time.Now())})
	tr := every1s(job.Expect{StartWithin: job.Duration(time.Second)})
	w.trackers["tick"] = tr
	w.pending.Store(maxLag + 1)
	require.True(t, w.behind(t.Context(), time.Now()))
	w.round(t.Context()) // would write through a nil connection if it ran
	require.Nil(t, tr.act, "nothing decided, nothing stored")
	w.pending.Store(maxLag)
	require.False(t, w.behind(t.Context(), time.Now()))
}

// A job that has been ok with nothing counted all along exports no series
// (a million such jobs' gauges took 380 bytes each); one with something to
// say has its gauges.
func TestQuietJobsExportNoSeries(t *testing.T) {
	t.Parallel()
	nc, js, topo := setup(t)
	now := time.Now().UTC().Truncate(time.Second)
	fake := clock.NewFake(now)
	createEvery(t, js, topo, now, map[string]time.Duration{"quiet": time.Hour, "tick": time.Second})
	reg := prometheus.NewRegistry()
	w := New(nc, js, Config{Topology: topo, Detector: "a", Interval: time.Hour, Clock: fake, Metrics: NewMetrics(reg, DefaultJobSeries)})
	require.NoError(t, w.Start(t.Context()))
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	series := func() map[string]float64 {
		out := map[string]float64{}
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			if mf.GetName() == "jetcron_job_health" {
				for _, m := range mf.GetMetric() {
					out[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
		return out
	}
	require.NoError(t, w.Check(ctx))
	require.Empty(t, series(), "both ok with nothing counted")
	fake.Advance(5 * time.Second) // tick's slots: no leader fires them
	require.NoError(t, w.Check(ctx))
	require.Equal(t, map[string]float64{"tick": HealthValue[alert.Unaccounted]}, series())
}

// At most the bound's number of jobs have their own series, and the counts
// per health cover every job: three unaccounted jobs under a bound of two
// show two jobs' series, three unaccounted and one omitted; a deleted job
// frees its series for the one left out.
func TestJobSeriesAreBounded(t *testing.T) {
	t.Parallel()
	nc, js, topo := setup(t)
	now := time.Now().UTC().Truncate(time.Second)
	fake := clock.NewFake(now)
	jobs := createEvery(t, js, topo, now, map[string]time.Duration{"quiet": time.Hour, "tick-a": time.Second, "tick-b": time.Second, "tick-c": time.Second})
	reg := prometheus.NewRegistry()
	w := New(nc, js, Config{Topology: topo, Detector: "a", Interval: time.Hour, Clock: fake, Metrics: NewMetrics(reg, 2)})
	require.NoError(t, w.Start(t.Context()))
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	type view struct {
		series          map[string]float64 // jetcron_job_health by job
		ok, unaccounted float64            // jetcron_jobs
		omitted         float64
	}
	gather := func() view {
		v := view{series: map[string]float64{}}
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				switch mf.GetName() {
				case "jetcron_job_health":
					v.series[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
				case "jetcron_jobs":
					switch m.GetLabel()[0].GetValue() {
					case string(alert.OK):
						v.ok = m.GetGauge().GetValue()
					case string(alert.Unaccounted):
						v.unaccounted = m.GetGauge().GetValue()
					}
				case "jetcron_job_series_omitted":
					v.omitted = m.GetGauge().GetValue()
				}
			}
		}
		return v
	}
	require.NoError(t, w.Check(ctx))
	v := gather()
	require.Empty(t, v.series, "every job ok with nothing counted")
	require.Equal(t, float64(4), v.ok)

	fake.Advance(5 * time.Second) // the ticks' slots: no leader fires them
	require.NoError(t, w.Check(ctx))
	v = gather()
	require.Len(t, v.series, 2, "the bound")
	require.Equal(t, view{series: v.series, ok: 1, unaccounted: 3, omitted: 1}, v)
	var held, left []string
	for _, name := range []string{"tick-a", "tick-b", "tick-c"} {
		if _, ok := v.series[name]; ok {
			held = append(held, name)
		} else {
			left = append(left, name)
		}
	}
	require.Len(t, left, 1)

	require.NoError(t, jobs.Delete(t.Context(), held[0]))
	require.Eventually(t, func() bool {
		require.NoError(t, w.Check(ctx))
		v = gather()
		_, gone := v.series[held[0]]
		return !gone && v.unaccounted == 2
	}, 20*time.Second, 50*time.Millisecond, "the deletion reaches the watchdog")
	require.Equal(t, view{series: map[string]float64{held[1]: 5, left[0]: 5}, ok: 1, unaccounted: 2}, v)
}

// createEvery creates jobs that run every interval from now, each expected
// to start within 2s, and returns the jobs bucket.
func createEvery(t *testing.T, js jetstream.JetStream, topo topology.Config, now time.Time, every map[string]time.Duration) jetstream.KeyValue {
	t.Helper()
	jobs, err := js.KeyValue(t.Context(), topo.Names().JobsBucket())
	require.NoError(t, err)
	for name, d := range every {
		spec, err := job.Spec{Name: name, Schedule: job.Schedule{Every: job.Duration(d)},
			Task:      job.Task{Kind: job.TaskCommand, Command: []string{"true"}},
			CreatedAt: now, EnabledAt: now, Expect: job.Expect{StartWithin: job.Duration(2 * time.Second)}}.Normalize()
		require.NoError(t, err)
		data, err := json.Marshal(spec)
		require.NoError(t, err)
		_, err = jobs.Create(t.Context(), name, data)
		require.NoError(t, err)
	}
	return jobs
}
