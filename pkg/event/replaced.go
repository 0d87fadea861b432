package event

import "strings"

// replacedMark ends the reason of an execution cancelled by its job's
// overlap replace policy.
const replacedMark = " (overlap replace)"

// ReplacedReason is the reason the scheduler gives an execution it cancels
// because by, a newer execution of the same job, replaces it.
func ReplacedReason(by string) string { return "replaced by " + by + replacedMark }

// IsReplaced reports whether a cancellation's reason (or error) says the
// overlap replace policy cancelled it, not a person.
func IsReplaced(reason string) bool { return strings.Contains(reason, replacedMark) }
