package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/notify"
	"github.com/jetcron/jetcron/pkg/topology"
)

// documentKind reads a document's `kind`: Notify for a notification sink,
// Job (or none) for a job.
func documentKind(m map[string]any) (sink bool, err error) {
	k, ok := m["kind"]
	if !ok {
		return false, nil
	}
	switch k {
	case "Notify":
		delete(m, "kind")
		return true, nil
	case "Job":
		delete(m, "kind")
		return false, nil
	}
	return false, fmt.Errorf("kind: %v is not Job, Notify or Calendar", k)
}

// sinkReadOnlyFields are what `notify get -o json` shows that apply ignores.
var sinkReadOnlyFields = []string{"type", "revision", "deliveries", "created_at", "updated_at"}

// decodeFileSinks decodes the sinks of a file strictly (unknown fields,
// invalid values and duplicate names are problems naming the sink and the
// field).
func decodeFileSinks(raws []map[string]any) ([]notify.Sink, []string) {
	var out []notify.Sink
	var problems []string
	seen := map[string]bool{}
	for i, raw := range raws {
		for _, k := range sinkReadOnlyFields {
			delete(raw, k)
		}
		name, _ := raw["name"].(string)
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		data, err := json.Marshal(raw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("notify %s: %v", name, err))
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var s notify.Sink
		if err := dec.Decode(&s); err != nil {
			problems = append(problems, fmt.Sprintf("notify %s: %v", name, strings.TrimPrefix(err.Error(), "json: ")))
			continue
		}
		// The API checks again in the file's namespace.
		if err := s.Validate(topology.MustNames("")); err != nil {
			problems = append(problems, fmt.Sprintf("notify %s: %v", name, sinkErr(err, fileTerms)))
			continue
		}
		if seen[s.Name] {
			problems = append(problems, fmt.Sprintf("notify %s: name: appears more than once", s.Name))
			continue
		}
		seen[s.Name] = true
		out = append(out, s)
	}
	return out, problems
}

// checkSinks asks the API to validate every sink (a dry run).
func checkSinks(c *cli.Context, cl *client.Client, sinks []notify.Sink) []string {
	var problems []string
	for _, s := range sinks {
		if _, err := cl.CreateNotify(c.Context, s, client.WithUpdate(), client.WithDryRun()); err != nil {
			_, msg := describeIn(sinkErr(err, fileTerms), fileTerms)
			problems = append(problems, fmt.Sprintf("notify %s: %s", s.Name, msg))
		}
	}
	return problems
}

// applySinks creates or updates the sinks, printing what happened.
func applySinks(c *cli.Context, cl *client.Client, sinks []notify.Sink, suffix string) error {
	for _, s := range sinks {
		var opts []client.CreateOption
		if suffix != "" {
			opts = append(opts, client.WithDryRun())
		}
		r, err := cl.CreateNotify(c.Context, s, append(opts, client.WithUpdate())...)
		if err != nil {
			return fmt.Errorf("notify %s: %w", s.Name, err)
		}
		changes := ""
		if len(r.Changes) > 0 {
			changes = " (" + strings.Join(r.Changes, ", ") + ")"
		}
		fmt.Fprintf(c.App.Writer, "notify %s %s%s%s\n", s.Name, r.Result, changes, suffix)
	}
	return nil
}
