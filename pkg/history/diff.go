package history

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jetcron/jetcron/pkg/job"
)

// Change is one field that differs between two definitions. Field is the
// JSON path ("schedule.cron", "env.TOKEN", "task.command"); Old and New are
// the values as JSON, empty when the field is absent on that side.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// bookkeeping are the fields the API sets by itself; a diff ignores them.
var bookkeeping = []string{"created_at", "updated_at", "enabled_at", "disabled_at"}

// Diff lists the fields that differ from a to b, by path. Maps are compared
// key by key (env.K, labels.K, params.K), lists as a whole; the timestamps
// the API keeps are ignored. A nil side is a job that does not exist.
func Diff(a, b *job.Spec) []Change {
	fa, fb := flatten(a), flatten(b)
	keys := slices.Sorted(maps.Keys(fa))
	for k := range fb {
		if _, ok := fa[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []Change
	for _, k := range keys {
		if fa[k] != fb[k] {
			out = append(out, Change{Field: k, Old: fa[k], New: fb[k]})
		}
	}
	return out
}

// Fields returns the distinct fields of changes, in order.
func Fields(changes []Change) []string {
	out := make([]string, 0, len(changes))
	for _, c := range changes {
		out = append(out, c.Field)
	}
	return out
}

// Summary says in one line what changes did: "schedule.cron "*/5 * * * *"
// → "*/10 * * * *"", or the fields when there are several.
func Summary(changes []Change) string {
	switch len(changes) {
	case 0:
		return "no change"
	case 1:
		c := changes[0]
		return fmt.Sprintf("%s %s → %s", c.Field, clipValue(c.Old), clipValue(c.New))
	}
	fields := Fields(changes)
	if len(fields) > 5 {
		fields = append(fields[:5], fmt.Sprintf("+%d more", len(changes)-5))
	}
	return "changed " + strings.Join(fields, ", ")
}

func clipValue(v string) string {
	if v == "" {
		return "(none)"
	}
	if r := []rune(v); len(r) > 40 {
		return string(r[:39]) + "…"
	}
	return v
}

// flatten maps each leaf of a definition's JSON to its value as JSON.
func flatten(s *job.Spec) map[string]string {
	out := map[string]string{}
	if s == nil {
		return out
	}
	data, err := json.Marshal(s)
	if err != nil {
		return out
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return out
	}
	for _, k := range bookkeeping {
		delete(m, k)
	}
	walk("", m, out)
	return out
}

func walk(prefix string, v any, out map[string]string) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, x := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walk(p, x, out)
		}
		return
	}
	data, _ := json.Marshal(v)
	out[prefix] = string(data)
}
