package worker

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/jetcron/jetcron/worker/internal/process"
)

// Who a run is (DESIGN invariant 10: a run is a stranger to its worker).
//
//   - RunAsAuto, the default of a worker running as root: every run gets a
//     uid of its own from RunUIDBase up (gid = uid, no supplementary
//     groups), held for the run's duration by a lock under runUIDLockDir,
//     so no two runs on the host, of this worker or another, share a uid
//     at the same time. "auto:FIRST-LAST" picks another range (one that no
//     user, and no subuid range of /etc/subuid, owns).
//   - A user name, "uid" or "uid:gid": every run under that identity. Runs
//     of the same worker can then read each other's files while they run.
//   - RunAsSelf, the default of a worker that is not root (it cannot switch
//     uid): runs keep the worker's uid. The worker is not dumpable, so runs
//     cannot read its memory or environment, but they can read each other's
//     files, and the worker's.
const (
	RunAsAuto = "auto"
	RunAsSelf = "self"
	// RunUIDBase is the first uid of RunAsAuto; runUIDCount uids follow.
	RunUIDBase  = 100000
	runUIDCount = 65536
)

// runUIDLockDir holds one lock file per run uid in use on the host.
const runUIDLockDir = "/run/jetcron/run-uids"

// identity decides the uid and gid of each run.
type identity struct {
	mode string             // RunAsAuto, RunAsSelf, or "fixed"
	cred process.Credential // fixed
	pool *uidPool           // auto
}

// resolveIdentity reads Config.RunAs. euid is the worker's effective uid.
func resolveIdentity(runAs string, euid int) (identity, error) {
	if runAs == "" {
		runAs = RunAsSelf
		if euid == 0 {
			runAs = RunAsAuto
		}
	}
	if runAs == RunAsSelf {
		return identity{mode: RunAsSelf}, nil
	}
	if runAs == RunAsAuto || strings.HasPrefix(runAs, RunAsAuto+":") {
		if euid != 0 {
			return identity{}, fmt.Errorf("run as %s: only a worker running as root can switch uid", runAs)
		}
		base, count, err := uidRange(strings.TrimPrefix(strings.TrimPrefix(runAs, RunAsAuto), ":"))
		if err != nil {
			return identity{}, fmt.Errorf("run as %q: %w", runAs, err)
		}
		return identity{mode: RunAsAuto, pool: &uidPool{dir: runUIDLockDir, base: base, count: count}}, nil
	}
	cred, err := lookupCredential(runAs)
	if err != nil {
		return identity{}, fmt.Errorf("run as %q: %w", runAs, err)
	}
	if cred.UID == uint32(euid) {
		return identity{mode: RunAsSelf}, nil
	}
	if euid != 0 {
		return identity{}, fmt.Errorf("run as %q: only a worker running as root can switch uid", runAs)
	}
	return identity{mode: "fixed", cred: cred}, nil
}

// uidRange reads "FIRST-LAST" (empty: the default range).
func uidRange(s string) (base, count uint32, err error) {
	if s == "" {
		return RunUIDBase, runUIDCount, nil
	}
	f, l, ok := strings.Cut(s, "-")
	first, ferr := strconv.ParseUint(f, 10, 32)
	last, lerr := strconv.ParseUint(l, 10, 32)
	if !ok || ferr != nil || lerr != nil || first == 0 || last < first {
		return 0, 0, fmt.Errorf("%q is not a uid range FIRST-LAST above 0", s)
	}
	return uint32(first), uint32(last - first + 1), nil
}

// lookupCredential reads "uid", "uid:gid" or a user name (its primary gid).
func lookupCredential(s string) (process.Credential, error) {
	u, g, hasGID := strings.Cut(s, ":")
	if uid, err := strconv.ParseUint(u, 10, 32); err == nil {
		gid := uid
		if hasGID {
			if gid, err = strconv.ParseUint(g, 10, 32); err != nil {
				return process.Credential{}, fmt.Errorf("gid %q is not a number", g)
			}
		}
		return process.Credential{UID: uint32(uid), GID: uint32(gid)}, nil
	}
	if hasGID {
		return process.Credential{}, errors.New("not a user name, uid or uid:gid")
	}
	usr, err := user.Lookup(s)
	if err != nil {
		return process.Credential{}, err
	}
	uid, uerr := strconv.ParseUint(usr.Uid, 10, 32)
	gid, gerr := strconv.ParseUint(usr.Gid, 10, 32)
	if uerr != nil || gerr != nil {
		return process.Credential{}, fmt.Errorf("user %s has uid %q gid %q", s, usr.Uid, usr.Gid)
	}
	return process.Credential{UID: uint32(uid), GID: uint32(gid)}, nil
}

// switches reports whether runs run under another identity than the worker.
func (id identity) switches() bool { return id.mode != RunAsSelf }

// acquire returns the credential of one run (nil: the worker's own) and a
// function that releases it once the run has ended.
func (id identity) acquire() (*process.Credential, func(), error) {
	switch id.mode {
	case RunAsSelf:
		return nil, func() {}, nil
	case RunAsAuto:
		uid, release, err := id.pool.acquire()
		if err != nil {
			return nil, nil, err
		}
		return &process.Credential{UID: uid, GID: uid}, release, nil
	default:
		c := id.cred
		return &c, func() {}, nil
	}
}

// uidPool hands out uids from [base, base+count) that no other run on the
// host holds: each is held with flock on a file of dir, which the kernel
// releases if the worker dies. flock locks belong to the open file, so two
// runs of the same worker exclude each other too.
type uidPool struct {
	dir         string
	base, count uint32

	mu   sync.Mutex
	next uint32 // where the search starts
}

func (p *uidPool) acquire() (uint32, func(), error) {
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return 0, nil, fmt.Errorf("run uid: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.count {
		uid := p.base + (p.next+i)%p.count
		f, err := os.OpenFile(filepath.Join(p.dir, strconv.FormatUint(uint64(uid), 10)), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return 0, nil, fmt.Errorf("run uid: %w", err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				continue
			}
			return 0, nil, fmt.Errorf("run uid: lock: %w", err)
		}
		p.next = (p.next + i + 1) % p.count
		return uid, func() { f.Close() }, nil
	}
	return 0, nil, fmt.Errorf("run uid: all %d uids from %d are in use", p.count, p.base)
}
