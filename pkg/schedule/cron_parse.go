package schedule

import (
	"fmt"
	"strconv"
	"strings"
)

// fieldSpec is the ParseError.Field used for problems with the spec as a
// whole.
const fieldSpec = "spec"

// fieldDef describes one cron field: its name in error messages, its value
// range and, for month and day of week, its three-letter names.
type fieldDef struct {
	name     string
	min, max int
	names    map[string]int
	nameHint string
	rangeTip string
}

// fieldDefs lists the fields in 6-field order.
var fieldDefs = [6]fieldDef{
	{name: "second", min: 0, max: 59},
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: monthNames, nameHint: "a month name (JAN-DEC)"},
	{
		name: "day of week", min: 0, max: 6, names: dowNames, nameHint: "a weekday name (SUN-SAT)",
		rangeTip: " (use 0 or SUN for Sunday)",
	},
}

var monthNames = map[string]int{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

var dowNames = map[string]int{
	"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
}

// descriptors maps each accepted descriptor to whether it is fixed-time.
var descriptors = map[string]bool{
	"@yearly": true, "@annually": true, "@monthly": true, "@weekly": true,
	"@daily": true, "@midnight": true, "@hourly": false,
}

// parseSpec validates spec with jetcron's own, field-naming messages, then
// lets robfig turn it into bit masks. The returned Cron has no location.
func parseSpec(spec string) (*Cron, error) {
	fail := func(field, format string, args ...any) (*Cron, error) {
		return nil, &ParseError{Field: field, Msg: fmt.Sprintf(format, args...), Spec: spec}
	}
	if len(spec) > MaxSpecLen {
		return fail(fieldSpec, "is longer than %d bytes", MaxSpecLen)
	}
	s := strings.TrimSpace(spec)
	if s == "" {
		return fail(fieldSpec, "is empty")
	}
	if strings.Contains(s, "=") {
		return fail(fieldSpec, "time zone goes in the job's tz field, not the spec")
	}

	var fixed bool
	if strings.HasPrefix(s, "@") {
		if strings.HasPrefix(s, "@every") {
			return fail(fieldSpec, "@every is not a cron spec; use an every schedule instead")
		}
		f, ok := descriptors[s]
		if !ok {
			return fail(fieldSpec, "unknown descriptor; want one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly")
		}
		fixed = f
	} else {
		fields := strings.Fields(s)
		if len(fields) != 5 && len(fields) != 6 {
			return fail(fieldSpec, "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds first), found %d", len(fields))
		}
		if len(fields) == 5 {
			fields = append([]string{"0"}, fields...)
		}
		for i, f := range fields {
			if msg := checkField(fieldDefs[i], f); msg != "" {
				return fail(fieldDefs[i].name, "%s", msg)
			}
		}
		fixed = !isWild(fields[1]) && !isWild(fields[2])
	}

	ss, err := robfigMasks(s)
	if err != nil {
		return fail(fieldSpec, "%s", err.Error())
	}
	return &Cron{
		dom:    ss.Dom,
		dow:    ss.Dow,
		fixed:  fixed,
		hour:   ss.Hour,
		minute: ss.Minute,
		month:  ss.Month,
		second: ss.Second,
		spec:   s,
	}, nil
}

// isWild reports whether a minute or hour field makes a spec a wildcard
// spec: it starts with "*" (or robfig's synonym "?").
func isWild(field string) bool {
	return strings.HasPrefix(field, "*") || strings.HasPrefix(field, "?")
}

// checkField validates a comma-separated list and returns a message for a
// *ParseError, or "" when the field is valid.
func checkField(d fieldDef, field string) string {
	for item := range strings.SplitSeq(field, ",") {
		if msg := checkItem(d, item); msg != "" {
			return msg
		}
	}
	return ""
}

// checkItem validates one list item: "*", "?", "N", "N-M", each optionally
// followed by "/STEP".
func checkItem(d fieldDef, item string) string {
	if item == "" {
		return "empty list item"
	}
	rng, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		if strings.Contains(step, "/") {
			return fmt.Sprintf("%q has more than one step", clip(item))
		}
		n, ok := parseNumber(step)
		switch {
		case !ok:
			return fmt.Sprintf("step %q in %q is not a number", clip(step), clip(item))
		case n < 1:
			return fmt.Sprintf("step %s in %q must be at least 1", clip(step), clip(item))
		case n > d.max-d.min+1:
			return fmt.Sprintf("step %s in %q is larger than the range %d-%d", clip(step), clip(item), d.min, d.max)
		}
	}
	if rng == "*" || rng == "?" {
		return ""
	}
	lo, hi, isRange := strings.Cut(rng, "-")
	a, msg := d.value(lo, item)
	if msg != "" {
		return msg
	}
	if !isRange {
		return ""
	}
	if strings.Contains(hi, "-") {
		return fmt.Sprintf("%q has more than one dash", clip(item))
	}
	b, msg := d.value(hi, item)
	if msg != "" {
		return msg
	}
	if a > b {
		return fmt.Sprintf("range %q starts after it ends", clip(rng))
	}
	return ""
}

// value parses one number or name of field d found in item.
func (d fieldDef) value(tok, item string) (int, string) {
	switch {
	case tok == "":
		return 0, fmt.Sprintf("%q is missing a number", clip(item))
	case tok == "*" || tok == "?":
		return 0, fmt.Sprintf("%q cannot be part of a range in %q", tok, clip(item))
	}
	if n, ok := d.names[strings.ToLower(tok)]; ok {
		return n, ""
	}
	n, ok := parseNumber(tok)
	if !ok {
		if d.names != nil {
			return 0, fmt.Sprintf("%q is not a number or %s", clip(tok), d.nameHint)
		}
		return 0, fmt.Sprintf("%q is not a number", clip(tok))
	}
	if n < d.min || n > d.max {
		return 0, fmt.Sprintf("%s is out of range %d-%d%s", clip(tok), d.min, d.max, d.rangeTip)
	}
	return n, ""
}

// parseNumber parses a non-empty string of ASCII digits. Numbers too large
// for an int come back as a value above every field's range.
func parseNumber(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 1 << 30, true
	}
	return n, true
}

// clip shortens s for quoting in an error message.
func clip(s string) string {
	const maxLen = 32
	if len(s) <= maxLen {
		return s
	}
	return s[:maxLen] + "..."
}
