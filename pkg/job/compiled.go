package job

import "github.com/jetcron/jetcron/pkg/schedule"

// maxCompiled bounds the compiled cron schedules a Compiled keeps.
const maxCompiled = 100_000

// Compiled compiles schedules, sharing one compiled cron schedule without
// bounds among every schedule with the same spec and zone (a compiled Cron
// is immutable): a few distinct specs serve a million jobs, parsed once
// instead of once per job or per check. It keeps at most 100,000 and
// starts over past that. The zero value is ready; it is not safe for
// concurrent use.
type Compiled struct {
	crons map[string]schedule.Schedule
}

// Compile is s.Compile, shared where it can be.
func (c *Compiled) Compile(s Schedule) (schedule.Schedule, error) {
	if s.Cron == "" || s.Start != nil || s.End != nil || len(s.Schedules) > 0 {
		return s.Compile()
	}
	key := s.TZ + " " + s.Cron
	if sc, ok := c.crons[key]; ok {
		return sc, nil
	}
	sc, err := s.Compile()
	if err != nil {
		return nil, err
	}
	if c.crons == nil || len(c.crons) >= maxCompiled {
		c.crons = map[string]schedule.Schedule{}
	}
	c.crons[key] = sc
	return sc, nil
}
