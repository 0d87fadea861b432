package watchdog

import (
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

// Metrics are the watchdog's per-job measurements. Their only label is the
// job: the cardinality is the number of jobs. Every replica exports them
// (each computes every job's health); aggregate with max by (job). A nil
// *Metrics records nothing.
type Metrics struct {
	lastSuccess *prometheus.GaugeVec
	failures    *prometheus.GaugeVec
	health      *prometheus.GaugeVec
	lateness    *prometheus.HistogramVec
}

// NewMetrics registers the watchdog's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
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
	}
	reg.MustRegister(m.lastSuccess, m.failures, m.health, m.lateness)
	return m
}

// set records a job's gauges.
func (m *Metrics) set(name string, h alert.Health, failures int, lastSuccess time.Time) {
	if m == nil {
		return
	}
	m.health.WithLabelValues(name).Set(HealthValue[h])
	m.failures.WithLabelValues(name).Set(float64(failures))
	if !lastSuccess.IsZero() {
		m.lastSuccess.WithLabelValues(name).Set(float64(lastSuccess.UnixNano()) / 1e9)
	}
}

// late records a slot's lateness.
func (m *Metrics) late(name string, d time.Duration) {
	if m != nil {
		m.lateness.WithLabelValues(name).Observe(max(d, 0).Seconds())
	}
}

// forget removes a deleted job's series.
func (m *Metrics) forget(name string) {
	if m == nil {
		return
	}
	m.lastSuccess.DeleteLabelValues(name)
	m.failures.DeleteLabelValues(name)
	m.health.DeleteLabelValues(name)
	m.lateness.DeleteLabelValues(name)
}
