package worker

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/micro"
)

// Version is the version a worker announces as a NATS micro service: of
// the protocol it speaks (work schema job.WorkVersion), not of the build,
// which its metadata carries.
const Version = "1.0.0"

// announce registers the worker as an instance of the NATS micro service
// "<ns>-worker": `nats micro ls` lists every worker, `nats micro info`
// shows its id, host, concurrency, task kinds and handlers, and `nats micro
// stats` (or a request to <ns>.workers.<id>.status) its queues and busy
// slots now. The status endpoint answers the presence record; it holds no
// secret (the same record is in the workers bucket every client may read).
// The logs endpoint serves stored logs (logserve.go).
func (w *Worker) announce() (micro.Service, error) {
	p := w.presenceRecord()
	meta := map[string]string{
		"worker_id":   w.cfg.ID,
		"host":        p.Host,
		"concurrency": strconv.Itoa(w.cfg.Concurrency),
		"kinds":       kindsList(w.cfg.AllowKinds),
		"handlers":    strings.Join(p.Handlers, ","),
		"build":       buildVersion(),
	}
	svc, err := micro.AddService(w.nc, micro.Config{
		Name:        w.names.WorkerServiceName(),
		Version:     Version,
		Description: "jetcron worker " + w.cfg.ID,
		Metadata:    meta,
		StatsHandler: func(*micro.Endpoint) any {
			r := w.presenceRecord()
			return struct {
				Queues []string `json:"queues"`
				Slots  int      `json:"slots"`
				Busy   int      `json:"busy"`
			}{r.Queues, r.Slots, r.Busy}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("announce the worker: %w", err)
	}
	err = svc.AddEndpoint("status", micro.HandlerFunc(func(req micro.Request) {
		data, err := json.Marshal(w.presenceRecord())
		if err != nil {
			_ = req.Error("500", "cannot encode the status", nil)
			return
		}
		_ = req.Respond(data)
	}), micro.WithEndpointSubject(w.names.WorkerStatusSubject(w.cfg.ID)))
	if err == nil {
		err = w.addLogEndpoint(svc)
	}
	if err != nil {
		_ = svc.Stop()
		return nil, fmt.Errorf("announce the worker: %w", err)
	}
	return svc, nil
}

func kindsList[K ~string](ks []K) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return strings.Join(out, ",")
}

// buildVersion is the module version the binary was built from, or
// "(devel)".
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
