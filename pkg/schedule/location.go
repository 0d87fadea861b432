package schedule

import (
	"fmt"
	"time"
)

// LoadLocation returns the IANA time zone called name, e.g. "Europe/Berlin".
// The empty name means UTC. "Local" is rejected because the machine's zone
// differs between the nodes of a cluster. Errors wrap ErrInvalidZone. The
// zone database comes from time.LoadLocation; binaries import time/tzdata
// so that it does not depend on the host. A zone is read from the database
// once for the process (time.LoadLocation reads it at every call).
func LoadLocation(name string) (*time.Location, error) {
	switch name {
	case "":
		return time.UTC, nil
	case "Local":
		return nil, fmt.Errorf(`%w %q: the machine's local zone differs between nodes; use an IANA name such as "Europe/Berlin"`,
			ErrInvalidZone, name)
	}
	if loc := sharedZone(name); loc != nil {
		return loc, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf(`%w %q: not in the IANA time zone database; use a name such as "Europe/Berlin" or "UTC"`,
			ErrInvalidZone, clip(name))
	}
	shareZone(name, loc)
	return loc, nil
}
