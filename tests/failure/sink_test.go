package failure_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// record is one line the probe appends to the sink (see probe/main.go).
type record struct {
	Ev        string `json:"ev"`
	Job       string `json:"job"`
	Slot      string `json:"slot"`
	Attempt   int    `json:"attempt"`
	Execution string `json:"exec"`
	Worker    string `json:"worker"`
	WorkerPID int    `json:"wpid"`
	PID       int    `json:"pid"`
	Child     int    `json:"child"`
	Time      int64  `json:"t"`
	Term      bool   `json:"term"`
}

// run is one attempt as the probe recorded it.
type run struct {
	exec, job, worker string
	attempt           int
	wpid, pid, child  int
	start, end        time.Time // end is zero if the probe never wrote it
	term              bool      // ended by SIGTERM (stopped, not completed)
	died              time.Time // when the harness saw the probe's pid gone
	childDied         time.Time
}

// completed reports whether the probe ran to its end.
func (r *run) completed() bool { return !r.end.IsZero() && !r.term }

// until is when the attempt stopped running: its end, or its death. The
// zero time means it may still run.
func (r *run) until() time.Time {
	switch {
	case !r.end.IsZero():
		return r.end
	default:
		return r.died
	}
}

// readSink reads every record of the sink.
func readSink(dir string) ([]record, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	var out []record
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			var r record
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				// A line cut by a crash of the probe's host would show here;
				// the probe writes each line with one append.
				fh.Close()
				return nil, err
			}
			out = append(out, r)
		}
		fh.Close()
	}
	return out, nil
}

// pidWatch follows the sink and, for every probe that started, notes when
// its process and its child were seen gone: the end of an attempt that was
// killed, and the check that a run never outlives its worker.
type pidWatch struct {
	sink    string
	stop    chan struct{}
	done    chan struct{}
	offsets map[string]int64 // bytes of each sink file already read

	mu    sync.Mutex
	died  map[procKey]time.Time
	watch map[procKey]uint64 // -> the process's start time in clock ticks
}

// procKey names a probe process: its pid and when its run started (pids
// are reused on a busy machine).
type procKey struct {
	pid   int
	start int64
}

func watchPIDs(sink string) *pidWatch {
	w := &pidWatch{sink: sink, stop: make(chan struct{}), done: make(chan struct{}), offsets: map[string]int64{}, died: map[procKey]time.Time{}, watch: map[procKey]uint64{}}
	go w.loop()
	return w
}

func (w *pidWatch) loop() {
	defer close(w.done)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	scanned := 0
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		// New starts: at most every 100ms.
		if scanned++; scanned%5 == 1 {
			for _, r := range w.tail() {
				if r.Ev != "start" {
					continue
				}
				now := time.Now()
				w.mu.Lock()
				for _, p := range []int{r.PID, r.Child} {
					if p <= 0 {
						continue
					}
					k := procKey{p, r.Time}
					if st, ok := probeStart(p); ok {
						w.watch[k] = st
					} else {
						w.died[k] = now // gone before we looked: an upper bound
					}
				}
				w.mu.Unlock()
			}
		}
		now := time.Now()
		w.mu.Lock()
		for k, st := range w.watch {
			if cur, ok := probeStart(k.pid); !ok || cur != st {
				w.died[k] = now
				delete(w.watch, k)
			}
		}
		w.mu.Unlock()
	}
}

// tail reads the complete lines appended to the sink since the last call.
func (w *pidWatch) tail() []record {
	files, _ := filepath.Glob(filepath.Join(w.sink, "*.jsonl"))
	var out []record
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		if _, err := fh.Seek(w.offsets[f], 0); err == nil {
			data, _ := io.ReadAll(fh)
			if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
				w.offsets[f] += int64(i + 1)
				for _, line := range bytes.Split(data[:i], []byte("\n")) {
					var r record
					if json.Unmarshal(line, &r) == nil {
						out = append(out, r)
					}
				}
			}
		}
		fh.Close()
	}
	return out
}

// diedAt returns when the probe process pid of the run that started at
// start (unix nanoseconds) was seen gone.
func (w *pidWatch) diedAt(pid int, start int64) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.died[procKey{pid, start}]
	return t, ok
}

// living returns the probe processes still alive.
func (w *pidWatch) living() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]int, 0, len(w.watch))
	for k := range w.watch {
		out = append(out, k.pid)
	}
	sort.Ints(out)
	return out
}

// probeStart returns the start time (clock ticks since boot) of pid if it
// is alive and a probe.
func probeStart(pid int) (uint64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(data)
	if !strings.Contains(s[:strings.LastIndexByte(s, ')')+1], "probe") {
		return 0, false // pid reused by another program
	}
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// fields[0] is the state (field 3); starttime is field 22.
	if len(fields) < 20 || fields[0] == "Z" || fields[0] == "X" {
		return 0, false
	}
	st, err := strconv.ParseUint(fields[19], 10, 64)
	return st, err == nil
}

func (w *pidWatch) close() {
	close(w.stop)
	<-w.done
}

// runs assembles attempts from the sink's records.
func runsOf(recs []record, w *pidWatch) []*run {
	type key struct {
		exec    string
		attempt int
		pid     int
	}
	byKey := map[key]*run{}
	var order []key
	for _, r := range recs {
		k := key{r.Execution, r.Attempt, r.PID}
		x := byKey[k]
		if x == nil {
			x = &run{exec: r.Execution, job: r.Job, worker: r.Worker, attempt: r.Attempt, wpid: r.WorkerPID, pid: r.PID, child: r.Child}
			byKey[k] = x
			order = append(order, k)
		}
		t := time.Unix(0, r.Time)
		switch r.Ev {
		case "start":
			x.start = t
		case "end":
			x.end, x.term = t, r.Term
		}
	}
	out := make([]*run, 0, len(order))
	for _, k := range order {
		x := byKey[k]
		if w != nil && !x.start.IsZero() {
			if t, ok := w.diedAt(x.pid, x.start.UnixNano()); ok {
				x.died = t
			}
			if t, ok := w.diedAt(x.child, x.start.UnixNano()); ok && x.child > 0 {
				x.childDied = t
			}
		}
		out = append(out, x)
	}
	return out
}

// openSink lets runs reach the sink and write to it: a worker running as
// root gives each run a uid of its own (DESIGN invariant 10), and the test's
// temp directories are 0700.
func openSink(t *testing.T, dir, sink string) {
	t.Helper()
	for _, d := range []string{filepath.Dir(dir), dir} {
		require.NoError(t, os.Chmod(d, 0o711))
	}
	require.NoError(t, os.Chmod(sink, 0o777))
}
