package catalog_test

import (
	"encoding/json"
	"testing"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
)

// BenchmarkDecodeSpec decodes a definition as a leader's takeover does a
// million times (docs/benchmarks.md, "A million jobs: less garbage").
func BenchmarkDecodeSpec(b *testing.B) {
	s := job.Spec{Name: "job-000123", Schedule: job.Schedule{Cron: "3 2 1 1 *"}, Overlap: job.OverlapAllow, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}}
	s, err := s.Normalize()
	if err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := catalog.DecodeSpec("job-000123", data); err != nil {
			b.Fatal(err)
		}
	}
}
