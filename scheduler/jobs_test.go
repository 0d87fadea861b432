package scheduler

import (
	"testing"
	"unsafe"
)

// The leader keeps one known per job, a million of them at scale, in its
// one table of jobs: the definition's pointer and the plan's item, in one
// allocation of the 112-byte size class.
func TestKnownJobSize(t *testing.T) {
	if got := unsafe.Sizeof(known{}); got > 104 {
		t.Fatalf("a known job is %d bytes, want at most 104", got)
	}
}
