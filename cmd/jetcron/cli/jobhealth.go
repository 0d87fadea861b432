package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// healthText is a job's health for people: the health alone in a list,
// with its reason and since when in `job get`. "-" before any scheduler
// replica has checked the job.
func healthText(v api.JobView, long bool) string {
	h := v.Health
	if h == nil {
		return "-"
	}
	if !long {
		return string(h.Health)
	}
	s := string(h.Health)
	if h.Reason != "" && h.Health != alert.OK {
		s += ": " + h.Reason
	}
	if !h.Since.IsZero() {
		s += " (since " + h.Since.Local().Format(time.DateTime) + ")"
	}
	if h.ConsecutiveFailures > 0 && h.Health != alert.Failing {
		s += fmt.Sprintf("; %d consecutive failures", h.ConsecutiveFailures)
	}
	if !h.LastSuccess.IsZero() {
		s += "; last success " + h.LastSuccess.Local().Format(time.DateTime)
	}
	return s
}

// expectText is a job's expectations for people; "" when none is set.
func expectText(e job.Expect) string {
	var parts []string
	if e.StartWithin > 0 {
		parts = append(parts, "start within "+e.StartWithin.String())
	}
	if e.MaxRuntime > 0 {
		parts = append(parts, "max runtime "+e.MaxRuntime.String())
	}
	if e.MinRuntime > 0 {
		parts = append(parts, "min runtime "+e.MinRuntime.String())
	}
	if e.AlertAfterFailures > 0 {
		parts = append(parts, fmt.Sprintf("alert after %d failures", e.AlertAfterFailures))
	}
	return strings.Join(parts, ", ")
}
