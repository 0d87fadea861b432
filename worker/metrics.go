package worker

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetcron/jetcron/pkg/job"
)

// Metrics are the worker's Prometheus measurements. A nil *Metrics records
// nothing.
type Metrics struct {
	attempts   prometheus.Counter
	finals     *prometheus.CounterVec
	executions *prometheus.CounterVec
	rejects    prometheus.Counter
	duplicates prometheus.Counter
	busy       prometheus.GaugeFunc
}

// NewMetrics registers the worker's metrics with reg; busy reports the
// slots in use.
func NewMetrics(reg prometheus.Registerer, busy func() float64, slots float64) *Metrics {
	m := &Metrics{
		attempts: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetcron_worker_attempts_total", Help: "Attempts started."}),
		finals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jetcron_worker_attempts_finished_total",
			Help: "Attempts ended, by outcome: succeeded, failed, timed_out, cancelled, retrying, handed_back (the task could not start), interrupted, superseded.",
		}, []string{"outcome"}),
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jetcron_worker_executions_finished_total",
			Help: "Executions that reached their final state on this worker: succeeded, failed, timed_out, cancelled.",
		}, []string{"state"}),
		rejects:    prometheus.NewCounter(prometheus.CounterOpts{Name: "jetcron_worker_rejected_total", Help: "Work messages rejected as invalid."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "jetcron_worker_duplicates_total", Help: "Second copies of executions dropped by their claim."}),
		busy:       prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jetcron_worker_slots_busy", Help: "Execution slots in use."}, busy),
	}
	total := prometheus.NewGauge(prometheus.GaugeOpts{Name: "jetcron_worker_slots", Help: "Execution slots."})
	total.Set(slots)
	reg.MustRegister(m.attempts, m.finals, m.executions, m.rejects, m.duplicates, m.busy, total)
	return m
}

func (m *Metrics) started() {
	if m != nil {
		m.attempts.Inc()
	}
}

func (m *Metrics) finished(outcome string) {
	if m != nil {
		m.finals.WithLabelValues(outcome).Inc()
		switch job.State(outcome) {
		case job.StateSucceeded, job.StateFailed, job.StateTimedOut, job.StateCancelled:
			m.executions.WithLabelValues(outcome).Inc()
		}
	}
}

func (m *Metrics) rejected() {
	if m != nil {
		m.rejects.Inc()
	}
}

func (m *Metrics) duplicate() {
	if m != nil {
		m.duplicates.Inc()
	}
}
