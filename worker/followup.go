package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// MaxFollowUps bounds the follow-ups one run may request.
const MaxFollowUps = 100

// followUpLine is one line of the JETCRON_OUTPUT file, or a parse problem.
type followUpLine struct {
	f   job.FollowUp
	err string
}

// readFollowUps parses the follow-up file of a run: one JSON object per
// line. Lines that are not valid become rejection notes.
func (x *execution) readFollowUps(path string) []job.FollowUp {
	data, err := readRunFile(path, 16<<20)
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var out []job.FollowUp
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var f job.FollowUp
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			out = append(out, job.FollowUp{Job: "\x00invalid", Params: map[string]string{"error": fmt.Sprintf("line %d of JETCRON_OUTPUT is not a follow-up object: %v", n, err)}})
			continue
		}
		out = append(out, f)
	}
	return out
}

// enqueueFollowUps asks the API for each follow-up run (validated there),
// with IDs derived from this execution so a retried request is one run,
// and records what was enqueued and what was refused on this execution.
func (x *execution) enqueueFollowUps(ctx context.Context, fs []job.FollowUp, now time.Time) {
	var ids, notes []string
	for i, f := range fs {
		if i >= MaxFollowUps {
			notes = append(notes, fmt.Sprintf("rejected %d follow-ups beyond the limit of %d", len(fs)-MaxFollowUps, MaxFollowUps))
			break
		}
		if f.Job == "\x00invalid" {
			notes = append(notes, "rejected: "+f.Params["error"])
			continue
		}
		name := f.Job
		if name == "" {
			name = x.work.Job
		}
		at := f.At
		if at.IsZero() {
			at = now.Add(f.Delay.D())
		}
		if err := job.ValidateName(name); err != nil {
			notes = append(notes, fmt.Sprintf("rejected follow-up %d: job %q %v", i+1, name, err))
			continue
		}
		req := api.EnqueueRequest{Name: name, At: at, Params: f.Params, ParentID: x.work.ID, Trigger: job.TriggerFollowUp,
			ID: job.DerivedExecutionID(name, at, followUpTag(x.work.ID, i))}
		var resp api.RunResponse
		err := x.callAPI(ctx, api.VerbJobEnqueue, req, &resp)
		if err != nil {
			notes = append(notes, fmt.Sprintf("rejected follow-up %d (job %s): %v", i+1, name, err))
			continue
		}
		ids = append(ids, resp.ExecutionID)
	}
	x.traceFollowUps(ids)
	e := event.Event{Kind: event.FollowUp, Job: x.work.Job, Execution: x.work.ID, Time: now, Attempt: x.attempt, FollowUps: ids, Reason: strings.Join(notes, "; ")}
	x.w.publish(ctx, e)
}

// callAPI calls the API, retrying while no scheduler answers (a failover).
func (x *execution) callAPI(ctx context.Context, verb string, req, out any) error {
	var err error
	for try := range 10 {
		if try > 0 {
			time.Sleep(time.Second)
		}
		err = api.Call(ctx, x.w.nc, x.w.names, verb, req, out)
		if err == nil || !errors.Is(err, api.ErrUnavailable) {
			return err
		}
	}
	return err
}

func followUpTag(parent string, i int) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(parent + "#" + strconv.Itoa(i)))
	return "f" + strconv.FormatUint(h.Sum64(), 36)
}

// readRunFile reads at most limit bytes of a file a run wrote. The run
// chose what is there: a symbolic link (to a file only the worker may read)
// is not followed, and a FIFO or device is refused rather than read.
func readRunFile(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return io.ReadAll(io.LimitReader(f, limit))
}
