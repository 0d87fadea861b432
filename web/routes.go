package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/probe"
)

// apiTimeout bounds an API request that is not a stream.
const apiTimeout = 30 * time.Second

// endpoint is an API handler; an error it returns is written as JSON.
type endpoint struct {
	fn func(w http.ResponseWriter, r *http.Request) error
	// stream marks a long-lived response (events, a followed log): no
	// timeout, ended when the client leaves or the server stops.
	stream bool
}

// methods maps HTTP methods to the endpoints of one path.
type methods map[string]endpoint

func get(fn func(http.ResponseWriter, *http.Request) error) methods {
	return methods{http.MethodGet: {fn: fn}}
}

func post(fn func(http.ResponseWriter, *http.Request) error) methods {
	return methods{http.MethodPost: {fn: fn}}
}

// routes returns every route of the server.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()

	probes := probe.Handler(s.ready, s.cfg.Registry)
	mux.Handle("GET /healthz", probes)
	mux.Handle("GET /readyz", probes)
	mux.Handle("GET /metrics", probes)

	mux.HandleFunc("GET /assets/{file}", serveAsset)
	s.auth.login = s.loginPage
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.loginSubmit)
	mux.HandleFunc("POST /logout", s.logout)

	mux.HandleFunc("GET /{$}", s.page("jobs"))
	mux.HandleFunc("GET /jobs/{name}", s.page("job"))
	mux.HandleFunc("GET /executions/{id}", s.page("execution"))
	mux.HandleFunc("GET /workers", s.page("workers"))
	s.registerCalendarRoutes(mux)
	mux.HandleFunc("/", s.notFoundPage)

	s.api(mux, "/api/v1/jobs", methods{http.MethodGet: {fn: s.listJobs}, http.MethodPost: {fn: s.createJob}})
	s.api(mux, "/api/v1/jobs/{name}", methods{http.MethodGet: {fn: byName(s.getJob)}, http.MethodPut: {fn: byName(s.putJob)}, http.MethodDelete: {fn: byName(s.deleteJob)}})
	s.api(mux, "/api/v1/jobs/{name}/run", post(byName(withBody(true, s.runJob))))
	s.api(mux, "/api/v1/jobs/{name}/enqueue", post(byName(withBody(false, s.enqueueJob))))
	s.api(mux, "/api/v1/jobs/{name}/disable", post(byName(withBody(true, s.disableJob))))
	s.api(mux, "/api/v1/jobs/{name}/enable", post(byName(withBody(true, s.enableJob))))
	s.api(mux, "/api/v1/jobs/{name}/executions", get(byName(s.executions)))
	s.api(mux, "/api/v1/jobs/{name}/audit", get(byName(s.auditJob)))
	s.api(mux, "/api/v1/jobs/{name}/history", get(byName(s.jobHistory)))
	s.api(mux, "/api/v1/jobs/{name}/diff", get(byName(s.jobDiff)))
	s.api(mux, "/api/v1/jobs/{name}/rollback", post(byName(withBody(false, s.rollbackJob))))
	s.api(mux, "/api/v1/jobs/{name}/backfill", post(byName(withBody(false, s.backfillJob))))
	s.api(mux, "/api/v1/jobs/{name}/backfill/cancel", post(byName(withBody(true, s.cancelBackfill))))
	s.api(mux, "/api/v1/jobs/{name}/backfills", get(byName(s.jobBackfills)))
	s.api(mux, "/api/v1/executions", get(s.listExecutions))
	s.api(mux, "/api/v1/executions/{id}", get(byID(s.getExecution)))
	s.api(mux, "/api/v1/executions/{id}/events", get(byID(s.executionEvents)))
	s.api(mux, "/api/v1/executions/{id}/log", methods{http.MethodGet: {fn: byID(s.executionLog), stream: true}})
	s.api(mux, "/api/v1/executions/{id}/cancel", post(byID(withBody(true, s.cancelExecution))))
	s.api(mux, "/api/v1/events", methods{http.MethodGet: {fn: s.events, stream: true}})
	s.api(mux, "/api/v1/workers", get(s.workers))
	s.api(mux, "/api/v1/queues", get(s.queueSettings))
	s.api(mux, "/api/v1/queues/{name}", methods{http.MethodPut: {fn: byName(withBody(false, s.putQueue))}})
	s.api(mux, "/api/v1/info", get(s.info))
	s.api(mux, "/api/v1/notify", methods{http.MethodGet: {fn: s.listNotify}, http.MethodPost: {fn: s.createNotify}})
	s.api(mux, "/api/v1/notify/{name}", methods{http.MethodGet: {fn: byName(s.getNotify)}, http.MethodPut: {fn: byName(s.putNotify)}, http.MethodDelete: {fn: byName(s.deleteNotify)}})
	s.api(mux, "/api/v1/notify/{name}/test", post(byName(s.testNotify)))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &httpError{status: http.StatusNotFound, msg: "no API route " + r.URL.Path + " (see docs/http-api.md)"})
	})
	return mux
}

// api registers the endpoints of one path: a method it does not know gets
// a JSON 405 that lists the allowed ones.
func (s *Server) api(mux *http.ServeMux, pattern string, ms methods) {
	allowed := make([]string, 0, len(ms))
	for m := range ms {
		allowed = append(allowed, m)
	}
	if _, ok := ms[http.MethodGet]; ok {
		allowed = append(allowed, http.MethodHead)
	}
	slices.Sort(allowed)
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		ep, ok := ms[method]
		if !ok {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, &httpError{status: http.StatusMethodNotAllowed,
				msg: "method " + r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + strings.Join(allowed, ", ")})
			return
		}
		if !s.cfg.Client.Conn().IsConnected() {
			writeError(w, &httpError{status: http.StatusServiceUnavailable, msg: "unavailable: not connected to NATS (reconnecting); try again shortly"})
			return
		}
		if !ep.stream {
			ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		if err := ep.fn(w, r); err != nil {
			if r.Context().Err() != nil && !unavailable(err) {
				return // the client left
			}
			if e := errorOf(err); e.Code >= 500 {
				s.log.WarnContext(r.Context(), "api request failed", "method", r.Method, "path", r.URL.Path, "error", err)
			}
			writeError(w, err)
		}
	})
}
