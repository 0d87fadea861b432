package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
)

// httpError is an error of the HTTP layer itself (a query parameter, a
// body, a method), with its status and the field at fault.
type httpError struct {
	status int
	field  string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(field, format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, field: field, msg: job.Fieldf(field, format, args...).Msg} // input cut to job.MaxEcho
}

// errorOf maps an error to the JSON body and status of an API error.
func errorOf(err error) api.Error {
	var he *httpError
	if errors.As(err, &he) {
		e := api.Error{Code: he.status, Message: he.msg, Field: he.field}
		if he.field != "" {
			e.Fields = []api.FieldProblem{{Field: he.field, Message: he.msg}}
		}
		return e
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		e := *ae
		if e.Code == 0 {
			e.Code = http.StatusInternalServerError
		}
		return e
	}
	if errors.Is(err, client.ErrNoLog) {
		return api.Error{Code: http.StatusNotFound, Message: err.Error()}
	}
	if unavailable(err) {
		return api.Error{Code: http.StatusServiceUnavailable, Message: "unavailable: " + err.Error()}
	}
	return api.ErrorOf(err)
}

// unavailable reports whether err means NATS, JetStream or the scheduler
// cannot be reached now.
func unavailable(err error) bool {
	for _, target := range []error{
		api.ErrUnavailable, topology.ErrNotReady, streamio.ErrDirectTimeout, context.DeadlineExceeded,
		nats.ErrConnectionClosed, nats.ErrConnectionDraining, nats.ErrNoServers, nats.ErrNoResponders,
		nats.ErrTimeout, nats.ErrDisconnected, nats.ErrConnectionReconnecting,
		jetstream.ErrStreamNotFound, jetstream.ErrBucketNotFound, jetstream.ErrJetStreamNotEnabled,
		jetstream.ErrNoStreamResponse,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// writeError writes err as a JSON error.
func writeError(w http.ResponseWriter, err error) {
	e := errorOf(err)
	writeJSON(w, e.Code, e)
}

// writeJSON writes v as JSON with a status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// decodeBody reads a JSON request body into v strictly: unknown fields are
// refused and a type mismatch names its field. An absent body leaves v as
// it is when optional.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	if r.ContentLength == 0 && r.Header.Get("Transfer-Encoding") == "" {
		if optional {
			return nil
		}
		return badRequest("", "a JSON request body is required")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &httpError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("Content-Type %q: the body must be application/json", r.Header.Get("Content-Type"))}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("body: larger than %d bytes", maxBody)}
	}
	if err != nil {
		return badRequest("", "body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 && optional {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if dec.More() {
			return badRequest("", "body: one JSON value expected")
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return badRequest("", "body: invalid JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		field := jsonPath(typ.Field)
		return badRequest(field, "%s: expected %s, got JSON %s", field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(field, "%s: unknown field", field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "body: incomplete JSON")
	}
	// A field's own decoder failed (a duration, a time): find which.
	if field := locate(data, reflect.TypeOf(v).Elem()); field != "" {
		return badRequest(field, "%s: %v", field, err)
	}
	return badRequest("", "body: %v", err)
}

// jsonPath turns the Go path of a type error ("Spec.schedule.every") into
// the JSON path of the field ("schedule.every").
func jsonPath(goPath string) string {
	parts := strings.Split(goPath, ".")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && (p[0] < 'A' || p[0] > 'Z') {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

// locate returns the JSON path of the first field of data that does not
// decode into its field of struct type t, or "".
func locate(data []byte, t reflect.Type) string {
	if t.Kind() != reflect.Struct {
		return ""
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return ""
	}
	fields := map[string]reflect.Type{}
	var collect func(t reflect.Type)
	collect = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
				collect(f.Type)
			case name != "-" && f.IsExported():
				fields[cmp.Or(name, f.Name)] = f.Type
			}
		}
	}
	collect(t)
	for key, raw := range obj {
		ft, ok := fields[key]
		if !ok {
			continue
		}
		if json.Unmarshal(raw, reflect.New(ft).Interface()) == nil {
			continue
		}
		inner := ft
		for inner.Kind() == reflect.Pointer {
			inner = inner.Elem()
		}
		if sub := locate(raw, inner); sub != "" {
			return key + "." + sub
		}
		return key
	}
	return ""
}
