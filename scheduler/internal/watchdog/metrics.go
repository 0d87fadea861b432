package watchdog

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetcron/jetcron/pkg/alert"
)

// HealthValue is the value of jetcron_job_health for each health: 0 is
// ok, and the higher the value the more urgent the condition (a dashboard
// may alert on > 0). docs/monitoring.md lists them.
var HealthValue = map[alert.Health]float64{
	alert.OK:          0,
	alert.TooShort:    1,
	alert.Late:        2,
	alert.Overrunning: 3,
	alert.Failing:     4,
	alert.Unaccounted: 5,
	alert.Paused:      6,
}

// DefaultJobSeries is how many jobs have their own series unless the
// scheduler is told otherwise (--job-metrics).
const DefaultJobSeries = 10_000

// Metrics are the watchdog's measurements: per job, with the job as their
// only label, and per health, counting every job. A job's series cost
// about 2 KB in the process and 1.2 KB of every scrape once it has fired
// (its lateness histogram is most of it), so at most a bounded number of
// jobs have them: the first to need them, until one is deleted. The
// counts per health (jetcron_jobs) cover every job whatever the bound.
// Every replica exports them (each computes every job's health); aggregate
// with max. A nil *Metrics records nothing.
type Metrics struct {
	lastSuccess *prometheus.GaugeVec
	failures    *prometheus.GaugeVec
	health      *prometheus.GaugeVec
	lateness    *prometheus.HistogramVec
	jobs        *prometheus.GaugeVec
	omitted     prometheus.Gauge

	mu    sync.Mutex
	limit int                 // jobs with series at most
	held  map[string]struct{} // the jobs that have them
}

// NewMetrics registers the watchdog's metrics with reg; at most jobSeries
// jobs have their own series (0: none).
func NewMetrics(reg prometheus.Registerer, jobSeries int) *Metrics {
	m := &Metrics{
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jetcron_job_last_success_timestamp_seconds",
			Help: "Unix time at which the job's last successful execution ended (absent before the first).",
		}, []string{"jetcron_job"}),
		failures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jetcron_job_consecutive_failures",
			Help: "Failed executions of the job since its last success.",
		}, []string{"jetcron_job"}),
		health: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jetcron_job_health",
			Help: "The job's health: 0 ok, 1 too_short, 2 late, 3 overrunning, 4 failing, 5 unaccounted, 6 paused.",
		}, []string{"jetcron_job"}),
		lateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jetcron_slot_lateness_seconds",
			Help:    "Time from a slot to the start of its first attempt.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 15, 60, 300, 1800},
		}, []string{"jetcron_job"}),
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jetcron_jobs",
			Help: "Jobs by health, every job counted (as of the watchdog's last round).",
		}, []string{"health"}),
		omitted: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jetcron_job_series_omitted",
			Help: "Jobs with something to report that have no jetcron_job_* series: more jobs than --job-metrics allows.",
		}),
		limit: max(jobSeries, 0),
		held:  make(map[string]struct{}),
	}
	for h := range HealthValue {
		m.jobs.WithLabelValues(string(h)).Set(0)
	}
	reg.MustRegister(m.lastSuccess, m.failures, m.health, m.lateness, m.jobs, m.omitted)
	return m
}

// admit reports whether name has series, giving it some if the bound
// allows.
func (m *Metrics) admit(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.held[name]; ok {
		return true
	}
	if len(m.held) >= m.limit {
		return false
	}
	m.held[name] = struct{}{}
	return true
}

// set records a job's gauges; false when the job has no series (the
// bound), so that the round asks again once a deleted job frees one.
func (m *Metrics) set(name string, h alert.Health, failures int, lastSuccess time.Time) bool {
	if m == nil {
		return true
	}
	if !m.admit(name) {
		return false
	}
	m.health.WithLabelValues(name).Set(HealthValue[h])
	m.failures.WithLabelValues(name).Set(float64(failures))
	if !lastSuccess.IsZero() {
		m.lastSuccess.WithLabelValues(name).Set(float64(lastSuccess.UnixNano()) / 1e9)
	}
	return true
}

// late records a slot's lateness, for a job that has series.
func (m *Metrics) late(name string, d time.Duration) {
	if m != nil && m.admit(name) {
		m.lateness.WithLabelValues(name).Observe(max(d, 0).Seconds())
	}
}

// counted records a round's count of jobs per health, and of jobs that
// had something to report and no series.
func (m *Metrics) counted(byHealth map[alert.Health]int, omitted int) {
	if m == nil {
		return
	}
	for h := range HealthValue {
		m.jobs.WithLabelValues(string(h)).Set(float64(byHealth[h]))
	}
	m.omitted.Set(float64(omitted))
}

// forget removes a deleted job's series.
func (m *Metrics) forget(name string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	_, ok := m.held[name]
	delete(m.held, name)
	m.mu.Unlock()
	if !ok {
		return
	}
	m.lastSuccess.DeleteLabelValues(name)
	m.failures.DeleteLabelValues(name)
	m.health.DeleteLabelValues(name)
	m.lateness.DeleteLabelValues(name)
}
