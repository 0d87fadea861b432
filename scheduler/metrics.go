package scheduler

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetcron/jetcron/scheduler/internal/watchdog"
)

// Metrics are the scheduler's Prometheus measurements. A nil *Metrics
// records nothing.
type Metrics struct {
	slots    *prometheus.CounterVec
	lateness prometheus.Histogram
	leases   prometheus.Counter
	ended    prometheus.Counter
	leading  prometheus.Gauge
	jobs     prometheus.Gauge
	watchdog *watchdog.Metrics
}

// DefaultJobSeries is how many jobs have their own series by default.
const DefaultJobSeries = watchdog.DefaultJobSeries

// NewMetrics registers the scheduler's metrics with reg. At most jobSeries
// jobs have their own series (jetcron_job_*, 0: none); jetcron_jobs
// counts every job by health whatever the bound.
func NewMetrics(reg prometheus.Registerer, jobSeries int) *Metrics {
	m := &Metrics{
		slots: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jetcron_scheduler_slots_total",
			Help: "Slots handled by the leader, by outcome: fired, missed, skipped, delayed, duplicate.",
		}, []string{"outcome"}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "jetcron_scheduler_dispatch_lateness_seconds",
			Help:    "Time from a slot (plus jitter) to its publication on the work stream.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		leases: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jetcron_scheduler_lease_acquired_total",
			Help: "Times this replica became leader.",
		}),
		ended: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jetcron_scheduler_lease_ended_total",
			Help: "Times this replica stopped leading: lease lost, stepped down, or stopped.",
		}),
		leading: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jetcron_scheduler_leading",
			Help: "1 while this replica leads.",
		}),
		jobs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jetcron_scheduler_planned_jobs",
			Help: "Jobs in the leader's plan.",
		}),
	}
	reg.MustRegister(m.slots, m.lateness, m.leases, m.ended, m.leading, m.jobs)
	m.watchdog = watchdog.NewMetrics(reg, jobSeries)
	return m
}

// watchdogMetrics returns the per-job health metrics (nil records nothing).
func (m *Metrics) watchdogMetrics() *watchdog.Metrics {
	if m == nil {
		return nil
	}
	return m.watchdog
}

func (m *Metrics) slot(outcome string, n int) {
	if m != nil && n > 0 {
		m.slots.WithLabelValues(outcome).Add(float64(n))
	}
}

func (m *Metrics) late(d time.Duration) {
	if m != nil {
		m.lateness.Observe(d.Seconds())
	}
}

func (m *Metrics) leaseChanged() {
	if m != nil {
		m.leases.Inc()
	}
}

func (m *Metrics) leaseEnded() {
	if m != nil {
		m.ended.Inc()
	}
}

func (m *Metrics) setLeading(on bool) {
	if m != nil {
		if on {
			m.leading.Set(1)
		} else {
			m.leading.Set(0)
		}
	}
}

func (m *Metrics) planned(n int) {
	if m != nil {
		m.jobs.Set(float64(n))
	}
}
