package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// keepAlive is how often an idle event stream sends a comment, so that
// proxies keep it open and a dead client is noticed.
const keepAlive = 15 * time.Second

// events streams events as server-sent events: each one "id: SEQ" and
// "data: JSON". Without history parameters it follows the server's hub
// (new events only); Last-Event-ID (a reconnecting browser), from=SEQ or
// since=10m|RFC3339 replay the stream from there first.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	jobName, execution := q.Get("job"), q.Get("execution")
	if jobName != "" {
		if err := job.ValidateName(jobName); err != nil {
			return badRequest("job", "job: %q %v", jobName, err)
		}
	}
	if execution != "" {
		j, _, err := job.ParseExecutionID(execution)
		if err != nil {
			return badRequest("execution", "execution: %v", err)
		}
		if jobName != "" && j != jobName {
			return badRequest("execution", "execution: %s is not an execution of job %s", execution, jobName)
		}
		jobName = j
	}
	from, err := queryUint(r, "from")
	if err != nil {
		return err
	}
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		n, err := strconv.ParseUint(last, 10, 64)
		if err != nil {
			return badRequest("Last-Event-ID", "Last-Event-ID: %q is not a sequence", last)
		}
		from = n + 1
	}
	since, err := querySince(r, "since", s.cfg.Clock.Now())
	if err != nil {
		return err
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if _, err := fmt.Fprint(w, "retry: 2000\n: jetcron events\n\n"); err != nil {
		return nil
	}
	_ = rc.Flush()
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()

	// A replay is pulled as the client reads: a few events wait, no more.
	events := make(chan event.Event, 16)
	ended := make(chan error, 1)
	ctx := r.Context()
	var sub *subscriber
	if from == 0 && since.IsZero() {
		sub = s.hub.subscribe(jobName, execution)
		defer s.hub.unsubscribe(sub)
		events = sub.ch
		go func() {
			select {
			case <-sub.dropped:
				ended <- fmt.Errorf("this stream fell behind; reconnect")
			case <-ctx.Done():
			}
		}()
	} else {
		go func() {
			defer close(events)
			for e, err := range s.cfg.Client.Watch(ctx, event.WatchOptions{Job: jobName, Execution: execution, FromSeq: from, Since: since}) {
				if err != nil {
					ended <- err
					return
				}
				select {
				case events <- e:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-ended:
			_, _ = fmt.Fprintf(w, "event: problem\ndata: %s\n\n", mustJSON(map[string]string{"error": err.Error()}))
			_ = rc.Flush()
			return nil
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			_ = rc.Flush()
		case e, ok := <-events:
			if !ok {
				return nil
			}
			if sub != nil {
				sub.received(e)
			}
			if _, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", e.Seq, mustJSON(Event{Event: e, Seq: e.Seq})); err != nil {
				return nil
			}
			_ = rc.Flush()
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{}`)
	}
	return b
}
