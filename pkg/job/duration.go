package job

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/schedule"
)

// Duration is a time.Duration written as a Go duration string ("90s", "5m",
// "1h30m") in JSON and YAML. A bare JSON number is read as seconds.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats like time.Duration but drops zero trailing units ("5m", not
// "5m0s").
func (d Duration) String() string { return FormatDuration(time.Duration(d)) }

// FormatDuration formats d compactly: "5m", "1h30m", "2s", "1.5s". It is
// schedule.FormatDuration, the one formatter that "every" phrases use too.
func FormatDuration(d time.Duration) string { return schedule.FormatDuration(d) }

// UnmarshalJSON reads a duration string, or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s, ok := plainString(b)
	if ok {
		v, err := ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err2 := json.Unmarshal(b, &secs); err2 != nil {
			return errorf("duration must be a string like \"5m\" or a number of seconds")
		}
		if math.IsNaN(secs) || math.Abs(secs) > float64(math.MaxInt64/int64(time.Second)) {
			return errorf("duration of %g seconds is out of range (at most %s)", secs, maxDurationText)
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// plainString returns the JSON string literal b without its quotes when it
// has no escapes, as nearly every duration is: a definition holds several,
// and json.Unmarshal of each was a tenth of a leader's takeover. Anything
// else (escapes, control characters, not a string) is left to json.Unmarshal.
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	b = b[1 : len(b)-1]
	for _, c := range b {
		if c == '"' || c == '\\' || c < ' ' || c >= 0x80 {
			return "", false
		}
	}
	return string(b), true
}

// MarshalText writes the duration as text: a string in JSON (encoding/json
// quotes it itself; a MarshalJSON of its own cost a nested json.Marshal and
// a compaction of its output for every duration of every work item) and in
// YAML.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a duration string (used by YAML decoders).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration parses a Go duration, also accepting a "d" suffix for days
// ("7d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errorf("empty duration")
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		var n int
		if _, err := fmt.Sscanf(s[:i], "%d", &n); err != nil || fmt.Sprint(n) != s[:i] {
			return 0, errorf("invalid duration %q", s)
		}
		if n > maxDays || n < -maxDays {
			return 0, errorf("duration %q is out of range (at most %s)", s, maxDurationText)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		if durationSyntax.MatchString(s) {
			// Well formed, yet refused: time.ParseDuration refuses an
			// overflow with the same error as a typo.
			return 0, errorf("duration %q is out of range (at most %s)", s, maxDurationText)
		}
		return 0, errorf("invalid duration %q (use e.g. 30s, 5m, 1h30m, 7d)", s)
	}
	if sum := days + v; (v > 0 && sum < days) || (v < 0 && sum > days) {
		return 0, errorf("duration is out of range (at most %s)", maxDurationText)
	}
	return days + v, nil
}

// maxDays is the most whole days a time.Duration holds.
const maxDays = int(math.MaxInt64 / int64(24*time.Hour))

const maxDurationText = "106751d, about 292 years"

// durationSyntax matches what time.ParseDuration reads, whatever the size.
var durationSyntax = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)
