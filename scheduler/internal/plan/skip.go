package plan

import "time"

// Skipped is a due slot that a calendar skips: it is recorded as skipped,
// with Reason, and never fired.
type Skipped struct {
	At     time.Time
	Reason string
}

// skip reports whether the entry's calendars skip slot s, adding it to the
// decision's skipped slots.
func (d *Decision) skip(e Entry, s time.Time) bool {
	if e.Skip == nil {
		return false
	}
	why, ok := e.Skip(s)
	if ok {
		d.Skipped = append(d.Skipped, Skipped{At: s, Reason: why})
	}
	return ok
}

// settleSkipped moves the cursor past the skipped slots it accounts for:
// all of them, unless the job completed, when those after its last fire
// are not owed.
func (d *Decision) settleSkipped() {
	if len(d.Skipped) == 0 {
		return
	}
	if d.Done && len(d.Fire) > 0 {
		last := d.Fire[len(d.Fire)-1].At
		keep := d.Skipped[:0]
		for _, sk := range d.Skipped {
			if !sk.At.After(last) {
				keep = append(keep, sk)
			}
		}
		d.Skipped = keep
		return
	}
	if at := d.Skipped[len(d.Skipped)-1].At; at.After(d.Cursor) {
		d.Cursor = at
	}
}
