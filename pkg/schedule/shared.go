package schedule

import (
	"sync"
	"time"
)

// maxShared bounds the parsed specs, and the zones, that the process
// shares; past it, sharing starts over.
const maxShared = 100_000

// shared holds what parsing found before, for the process: every
// definition is checked where it enters a role (its cron parsed, its zone
// loaded), a million of them at a leader's takeover, and few distinct
// specs and zones serve them all. A Cron is immutable, and so is a
// *time.Location, so one value serves every caller.
var shared struct {
	mu    sync.Mutex
	crons map[cronKey]*Cron
	zones map[string]*time.Location
}

type cronKey struct {
	spec string
	loc  *time.Location
}

func sharedCron(spec string, loc *time.Location) *Cron {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	return shared.crons[cronKey{spec, loc}]
}

func shareCron(spec string, c *Cron) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.crons == nil || len(shared.crons) >= maxShared {
		shared.crons = map[cronKey]*Cron{}
	}
	shared.crons[cronKey{spec, c.loc}] = c
}

func sharedZone(name string) *time.Location {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	return shared.zones[name]
}

func shareZone(name string, loc *time.Location) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.zones == nil || len(shared.zones) >= maxShared {
		shared.zones = map[string]*time.Location{}
	}
	shared.zones[name] = loc
}
