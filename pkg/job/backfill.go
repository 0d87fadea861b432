package job

import (
	"strconv"
	"strings"
	"time"
)

// TriggerBackfill is a past slot run again by a backfill (job backfill).
const TriggerBackfill Trigger = "backfill"

// backfillTag starts the tag of a backfilled slot's execution ID.
const backfillTag = "bf"

// BackfillExecutionID returns the ID of the gen-th backfill run of a slot:
// the slot's ID with the tag bf<gen>. It is never the slot's own ID (a slot
// ID has no tag): the original slot's events, its claim and its dedup ID
// stay its own, and the same backfill asked again maps to the same ID.
func BackfillExecutionID(job string, slot time.Time, gen int) string {
	return DerivedExecutionID(job, slot, backfillTag+strconv.Itoa(gen))
}

// ParseBackfillID returns the slot ID and generation of a backfill run's
// ID, and whether id is one.
func ParseBackfillID(id string) (slotID string, gen int, ok bool) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return "", 0, false
	}
	stamp, tag, found := strings.Cut(id[i+1:], "_")
	if !found || !strings.HasPrefix(tag, backfillTag) {
		return "", 0, false
	}
	slotID = id[:i+1] + stamp
	n, err := strconv.Atoi(tag[len(backfillTag):])
	if err != nil || n < 1 || strconv.Itoa(n) != tag[len(backfillTag):] {
		return "", 0, false
	}
	if _, _, err := ParseExecutionID(id); err != nil {
		return "", 0, false
	}
	return slotID, n, true
}
