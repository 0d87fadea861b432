package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// `jetcron dev` restarted on its data directory fires again at once: its
// scheduler has an ID derived from the directory and takes over the lease
// its killed predecessor left (scheduler.Config.ReclaimOwnLease) instead
// of waiting for it to expire. That is safe only while one process at a
// time runs on the directory, which an exclusive lock on <data>/lock
// ensures: a second `jetcron dev` on the same directory fails at once.

// devLockFile is the lock file's name in the data directory.
const devLockFile = "lock"

// errDataDirLocked means another process holds the data directory's lock.
var errDataDirLocked = errors.New("the data directory is in use by another jetcron dev")

// devSchedulerID is the scheduler ID of `jetcron dev` on dataDir (an
// absolute path): the same across restarts, distinct between directories.
func devSchedulerID(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return "dev-" + hex.EncodeToString(sum[:6])
}
