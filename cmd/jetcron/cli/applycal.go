package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/calendar"
)

// A file given to apply may hold calendars besides jobs: documents with
// `kind: Calendar`, or a list under `calendars:`. They are applied before
// the jobs, which may name them.

// isCalendarDoc reports whether a document of the file is calendars, not a
// job; it drops a `kind: Job` marker from a job.
func isCalendarDoc(m map[string]any) bool {
	if _, ok := m["calendars"]; ok && len(m) == 1 {
		return true
	}
	switch m["kind"] {
	case "Calendar":
		return true
	case "Job":
		delete(m, "kind")
	}
	return false
}

// parseCalendarsFile reads the calendars of a file strictly.
func parseCalendarsFile(data []byte) ([]calendar.Calendar, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var raws []map[string]any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil // parseJobsFile reports it
		}
		m, ok := v.(map[string]any)
		if !ok || !isCalendarDoc(m) {
			continue
		}
		if list, ok := m["calendars"].([]any); ok {
			for i, it := range list {
				cm, ok := it.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("calendars[%d] is not a mapping", i)
				}
				raws = append(raws, cm)
			}
			continue
		}
		raws = append(raws, m)
	}
	var out []calendar.Calendar
	var problems []string
	seen := map[string]bool{}
	for i, raw := range raws {
		delete(raw, "kind")
		for _, k := range []string{"revision", "summary_text", "used_by", "created_at", "updated_at"} {
			delete(raw, k)
		}
		name, _ := raw["name"].(string)
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		js, err := json.Marshal(raw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("calendar %s: %v", name, err))
			continue
		}
		var cal calendar.Calendar
		d := json.NewDecoder(bytes.NewReader(js))
		d.DisallowUnknownFields()
		if err := d.Decode(&cal); err != nil {
			problems = append(problems, fmt.Sprintf("calendar %s: %v", name, strings.TrimPrefix(err.Error(), "json: ")))
			continue
		}
		if err := cal.Validate(); err != nil {
			problems = append(problems, fmt.Sprintf("calendar %s: %v", name, err))
			continue
		}
		if seen[cal.Name] {
			problems = append(problems, fmt.Sprintf("calendar %s: name: appears more than once", cal.Name))
			continue
		}
		seen[cal.Name] = true
		out = append(out, cal)
	}
	if len(problems) > 0 {
		return nil, errors.New("nothing applied:\n  " + strings.Join(problems, "\n  "))
	}
	return out, nil
}

// checkCalendars asks the API to validate the file's calendars (a dry run).
func checkCalendars(c *cli.Context, cl *client.Client, cals []calendar.Calendar) ([]api.CalendarCreateResponse, []string) {
	results := make([]api.CalendarCreateResponse, len(cals))
	var problems []string
	for i, cal := range cals {
		r, err := cl.CreateCalendar(c.Context, cal, client.CalendarUpdate(), client.CalendarDryRun())
		if err != nil {
			_, msg := describeIn(err, fileTerms)
			problems = append(problems, fmt.Sprintf("calendar %s: %s", cal.Name, msg))
			continue
		}
		results[i] = r
	}
	return results, problems
}

// applyCalendars writes the file's calendars (unless dry) and says what it did.
func applyCalendars(c *cli.Context, cl *client.Client, cals []calendar.Calendar, results []api.CalendarCreateResponse, dry bool, suffix string) error {
	for i, cal := range cals {
		r := results[i]
		if !dry && r.Result != "unchanged" {
			var err error
			if r, err = cl.CreateCalendar(c.Context, cal, client.CalendarUpdate()); err != nil {
				return fmt.Errorf("calendar %s: %w", cal.Name, err)
			}
		}
		fmt.Fprintf(c.App.Writer, "calendar %s %s%s\n", cal.Name, r.Result, suffix)
	}
	return nil
}

// withoutFileCalendars drops from names the calendars the file defines: a
// job's dry run runs before they exist.
func withoutFileCalendars(names []string, cals []calendar.Calendar) []string {
	if len(cals) == 0 || len(names) == 0 {
		return names
	}
	var out []string
	for _, n := range names {
		if !slices.ContainsFunc(cals, func(c calendar.Calendar) bool { return c.Name == n }) {
			out = append(out, n)
		}
	}
	return out
}
