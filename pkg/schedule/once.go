package schedule

import "time"

// Once fires exactly once, at At.
type Once struct {
	// At is the fire instant.
	At time.Time
}

// Next returns At if it is strictly after t, and the zero Time otherwise.
func (o Once) Next(t time.Time) time.Time {
	if o.At.After(t) {
		return o.At
	}
	return time.Time{}
}

// Describe returns "once at " followed by At in RFC 3339, in At's own
// location, or "never" for the zero At.
func (o Once) Describe() string {
	if o.At.IsZero() {
		return "never"
	}
	return "once at " + o.At.Format(time.RFC3339)
}

var _ Schedule = Once{}
