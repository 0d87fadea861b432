package schedule

import (
	"errors"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// MaxSpecLen is the longest cron spec, in bytes, that ParseCron accepts.
const MaxSpecLen = 1024

// starBit is robfig's marker for a field written as "*" or "?" (or a step
// of 1 over the whole range). Only the day fields look at it.
const starBit = 1 << 63

// Cron is a parsed cron spec evaluated in an IANA zone under jetcron's DST
// rule (see the package documentation). A Cron is immutable and safe for
// concurrent use. Create one with ParseCron; the zero Cron never fires.
type Cron struct {
	// Bit masks as produced by robfig/cron: bit v is set when value v
	// matches. Dom and Dow carry starBit when written as "*" or "?".
	second, minute, hour, dom, month, dow uint64

	// fixed is true for fixed-time specs: neither the minute nor the hour
	// field starts with "*" (or "?").
	fixed bool

	loc  *time.Location
	spec string
}

// ParseCron parses spec, a 5-field (minute hour day-of-month month
// day-of-week) or 6-field (second first) cron spec or one of the
// descriptors @yearly, @annually, @monthly, @weekly, @daily, @midnight and
// @hourly, to be evaluated in loc. A nil loc means UTC; time.Local is
// rejected because it differs between machines. Errors are *ParseError
// values naming the faulty field. The same spec and zone return the same
// Cron, parsed once for the process.
func ParseCron(spec string, loc *time.Location) (*Cron, error) {
	if loc == nil {
		loc = time.UTC
	}
	if loc == time.Local {
		return nil, &ParseError{
			Field: "time zone",
			Msg:   `the machine's local zone is not allowed; use an IANA name such as "Europe/Berlin"`,
			Spec:  spec,
		}
	}
	if c := sharedCron(spec, loc); c != nil {
		return c, nil
	}
	p, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	p.loc = loc
	shareCron(spec, p)
	return p, nil
}

// String returns the spec as written, without surrounding white space.
func (c *Cron) String() string { return c.spec }

// Location returns the zone the spec is evaluated in.
func (c *Cron) Location() *time.Location { return c.loc }

// FixedTime reports whether the spec is fixed-time (neither its minute nor
// its hour field starts with "*"), which decides how it behaves across DST
// transitions; see the package documentation.
func (c *Cron) FixedTime() bool { return c.fixed }

// robfigParser only turns fields into bit masks; jetcron computes fire
// instants itself. It is safe for concurrent use (it holds only options).
var robfigParser = cron.NewParser(
	cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor,
)

// robfigMasks runs robfig's parser on a spec that parseSpec has already
// validated, recovering from any panic so that no input can crash the
// caller. The error is a lower-case message for a *ParseError.
func robfigMasks(spec string) (s *cron.SpecSchedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, errors.New("cannot be parsed")
		}
	}()
	sched, err := robfigParser.Parse(spec)
	if err != nil {
		return nil, errors.New(strings.ToLower(err.Error()))
	}
	ss, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return nil, errors.New("is not a calendar spec")
	}
	return ss, nil
}

var _ Schedule = (*Cron)(nil)
