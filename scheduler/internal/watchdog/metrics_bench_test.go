package watchdog

import (
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jetcron/jetcron/pkg/alert"
)

// BenchmarkJobSeries100k measures what 100,000 jobs that have fired cost
// the process (heap per job) and a scrape (bytes and time), with the
// default bound and with a series for every job.
func BenchmarkJobSeries100k(b *testing.B) {
	const jobs = 100_000
	names := make([]string, jobs)
	for i := range names {
		names[i] = fmt.Sprintf("job-%07d", i)
	}
	for _, bound := range []int{DefaultJobSeries, jobs} {
		b.Run(fmt.Sprintf("bound=%d", bound), func(b *testing.B) {
			measured := false // the heap of the first iteration only: later ones count the earlier ones' garbage going
			for b.Loop() {
				before := liveHeap()
				reg := prometheus.NewRegistry()
				m := NewMetrics(reg, bound)
				now := time.Now()
				for _, n := range names {
					m.set(n, alert.OK, 0, now)
					m.late(n, 20*time.Millisecond)
				}
				heap := liveHeap() - before
				start := time.Now()
				scrape := httptest.NewRecorder() // the text format, as Prometheus asks without an Accept header
				promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(scrape, httptest.NewRequest("GET", "/metrics", nil))
				if !measured {
					b.ReportMetric(float64(heap)/jobs, "heap-B/job")
					measured = true
				}
				b.ReportMetric(float64(scrape.Body.Len()), "scrape-B")
				b.ReportMetric(time.Since(start).Seconds()*1e3, "scrape-ms")
				runtime.KeepAlive(m)
			}
		})
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	return s.HeapAlloc
}
