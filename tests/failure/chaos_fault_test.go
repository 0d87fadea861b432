package failure_test

// Fault injection of the chaos suite: what each fault action does to the
// dev process or the cluster, and whether a leader is alive to take it.

import (
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/stretchr/testify/require"
)

// leaderAlive reports whether the lease is held by a running scheduler
// process (a record left by a killed one does not count).
func (c *chaosRun) leaderAlive() bool {
	rec, _, ok := c.s.leaderRecord()
	if !ok || rec.PID == 0 {
		return false
	}
	procs := c.s.scheds
	if c.dev != nil {
		procs = []*proc{c.dev}
	}
	for _, p := range procs {
		if p.pid() == rec.PID {
			return true
		}
	}
	return false
}

// fault breaks a part for a.Down and brings it back, recording when the
// system could not fire.
func (c *chaosRun) fault(a action) {
	from := time.Now()
	var to time.Time
	switch {
	case c.dev != nil:
		to = c.devFault(a)
	default:
		to = c.clusterFault(a)
	}
	if !to.IsZero() {
		c.mu.Lock()
		c.outages = append(c.outages, window{from, to})
		c.mu.Unlock()
	}
}

// devFault breaks the one `jetcron dev` process.
func (c *chaosRun) devFault(a action) time.Time {
	p := c.dev
	switch a.Kind {
	case faultStop:
		p.signal(syscall.SIGSTOP)
		pace(a.Down)
		p.signal(syscall.SIGCONT)
	case faultTerm:
		p.signal(syscall.SIGTERM)
		if !p.wait(30 * time.Second) {
			p.kill()
		}
		pace(a.Down)
		p.start()
	default: // kill -9
		p.signal(syscall.SIGKILL)
		require.True(c.t, p.wait(10*time.Second))
		pace(a.Down)
		p.start()
	}
	return time.Now()
}

// clusterFault breaks a part of the cluster: the leading scheduler, a
// worker, a NATS node, or every scheduler.
func (c *chaosRun) clusterFault(a action) time.Time {
	s := c.s
	switch a.Kind {
	case faultWorker, faultWorkerT:
		p := s.workers[rand.IntN(len(s.workers))]
		if a.Kind == faultWorkerT {
			p.signal(syscall.SIGTERM)
			if !p.wait(30 * time.Second) {
				p.kill()
			}
		} else {
			p.signal(syscall.SIGKILL)
			p.wait(10 * time.Second)
		}
		pace(a.Down)
		p.start()
		return time.Time{} // no scheduler outage
	case faultNATS:
		p := s.nats[rand.IntN(len(s.nats))]
		p.signal(syscall.SIGKILL)
		p.wait(10 * time.Second)
		pace(a.Down)
		p.start()
		return time.Now().Add(10 * time.Second) // a stream election or two after it is back
	case faultOutage:
		for _, p := range s.scheds {
			p.signal(syscall.SIGTERM)
		}
		for _, p := range s.scheds {
			if !p.wait(30 * time.Second) {
				p.kill()
			}
		}
		pace(a.Down)
		for _, p := range s.scheds {
			p.start()
		}
		return time.Now()
	}
	p, _ := s.leaderProc()
	if p == nil {
		return time.Time{}
	}
	switch a.Kind {
	case faultStop:
		p.signal(syscall.SIGSTOP)
		pace(a.Down)
		p.signal(syscall.SIGCONT)
		return time.Now()
	case faultTerm:
		p.signal(syscall.SIGTERM)
		if !p.wait(30 * time.Second) {
			p.kill()
		}
	default:
		p.signal(syscall.SIGKILL)
		p.wait(10 * time.Second)
	}
	at := time.Now()
	pace(a.Down)
	p.start()
	return at.Add(c.lease) // the other scheduler leads within a lease
}
