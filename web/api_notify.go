package web

import (
	"net/http"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/notify"
)

// decodeSink reads a sink's definition: a notify.Sink, or what `notify
// get -o json` and GET /api/v1/notify/NAME print (the fields the server
// adds are ignored).
func decodeSink(w http.ResponseWriter, r *http.Request) (notify.Sink, error) {
	var body api.NotifyView
	if err := decodeBody(w, r, &body, false); err != nil {
		return notify.Sink{}, err
	}
	return body.Sink, nil
}

func (s *Server) listNotify(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.cfg.Client.ListNotify(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, vs)
	return nil
}

func (s *Server) getNotify(w http.ResponseWriter, r *http.Request, name string) error {
	v, err := s.cfg.Client.GetNotify(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) createNotify(w http.ResponseWriter, r *http.Request) error {
	update, err := queryBool(r, "update")
	if err != nil {
		return err
	}
	sink, err := decodeSink(w, r)
	if err != nil {
		return err
	}
	return s.saveNotify(w, r, sink, update)
}

func (s *Server) putNotify(w http.ResponseWriter, r *http.Request, name string) error {
	sink, err := decodeSink(w, r)
	if err != nil {
		return err
	}
	if sink.Name == "" {
		sink.Name = name
	}
	if sink.Name != name {
		return job.Fieldf("name", "the body names sink %q but the URL names %q", sink.Name, name)
	}
	return s.saveNotify(w, r, sink, true)
}

func (s *Server) saveNotify(w http.ResponseWriter, r *http.Request, sink notify.Sink, update bool) error {
	dryRun, err := queryBool(r, "dry_run")
	if err != nil {
		return err
	}
	var opts []client.CreateOption
	if update {
		opts = append(opts, client.WithUpdate())
	}
	if dryRun {
		opts = append(opts, client.WithDryRun())
	}
	resp, err := s.cfg.Client.CreateNotify(r.Context(), sink, opts...)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if resp.Result == "created" && !dryRun {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/notify/"+resp.Sink.Name)
	}
	writeJSON(w, status, resp)
	return nil
}

func (s *Server) deleteNotify(w http.ResponseWriter, r *http.Request, name string) error {
	if err := s.cfg.Client.DeleteNotify(r.Context(), name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) testNotify(w http.ResponseWriter, r *http.Request, name string) error {
	d, err := s.cfg.Client.TestNotify(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.NotifyTestResponse{Delivery: d})
	return nil
}
