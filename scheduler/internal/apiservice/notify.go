package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/notify"
)

// notifyBucket opens the notify bucket on first use (lazyBucket).
func (s *Service) notifyBucket(ctx context.Context) (jetstream.KeyValue, error) {
	return s.notifyKV.open(ctx, s.js, s.names.NotifyBucket())
}

// loadSink reads a sink's definition from the bucket stream's leader
// (read-your-writes, as load does for jobs).
func (s *Service) loadSink(ctx context.Context, name string) (notify.Sink, uint64, error) {
	if err := nameErr(name); err != nil {
		return notify.Sink{}, 0, err
	}
	if _, err := s.notifyBucket(ctx); err != nil {
		return notify.Sink{}, 0, err
	}
	return readFromLeader[notify.Sink](ctx, s, s.names.NotifyBucket(), notify.SinkKey(name), "sink", name)
}

func sinkView(sink notify.Sink, rev uint64) api.NotifyView {
	return api.NotifyView{Sink: sink, Kind: sink.Kind(), Revision: rev}
}

func (s *Service) notifyCreate(ctx context.Context, data []byte) (any, error) {
	var req api.NotifyCreateRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	sink := req.Sink
	sink.CreatedAt, sink.UpdatedAt = s.now(), s.now()
	if err := sink.Validate(s.names); err != nil {
		return nil, err
	}
	kv, err := s.notifyBucket(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		old, rev, err := s.loadSink(ctx, sink.Name)
		exists := err == nil
		if err != nil && !errors.Is(err, job.ErrNotFound) {
			return nil, err
		}
		if exists && !req.Update {
			return nil, fmt.Errorf("sink %q %w (use --update to replace it)", sink.Name, job.ErrExists)
		}
		var changes []string
		result := "created"
		if exists {
			result = "updated"
			sink.CreatedAt = old.CreatedAt
			if changes = sinkDiff(old, sink); len(changes) == 0 {
				return api.NotifyCreateResponse{Sink: sinkView(old, rev), Result: "unchanged"}, nil
			}
		}
		if req.DryRun {
			return api.NotifyCreateResponse{Sink: sinkView(sink, rev), Result: result, Changes: changes}, nil
		}
		value, _ := json.Marshal(sink)
		var newRev uint64
		if exists {
			newRev, err = kv.Update(ctx, notify.SinkKey(sink.Name), value, rev)
		} else {
			newRev, err = kv.Create(ctx, notify.SinkKey(sink.Name), value)
		}
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			if attempt < 3 {
				continue
			}
			return nil, fmt.Errorf("sink %q changed concurrently: %w", sink.Name, job.ErrConflict)
		}
		if err != nil {
			return nil, fmt.Errorf("write sink %q: %w: %w", sink.Name, api.ErrUnavailable, err)
		}
		s.log.InfoContext(ctx, "notification sink "+result, "sink", sink.Name, "kind", sink.Kind(), "changes", strings.Join(changes, ","))
		return api.NotifyCreateResponse{Sink: sinkView(sink, newRev), Result: result, Changes: changes}, nil
	}
}

// sinkDiff names the fields that differ, ignoring timestamps.
func sinkDiff(a, b notify.Sink) []string {
	a.CreatedAt, a.UpdatedAt = b.CreatedAt, b.UpdatedAt
	var out []string
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	for i := range t.NumField() {
		x, y := va.Field(i).Interface(), vb.Field(i).Interface()
		if isEmpty(va.Field(i)) && isEmpty(vb.Field(i)) {
			continue // nil and empty maps and lists are the same
		}
		if !reflect.DeepEqual(x, y) {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	return out
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Map, reflect.Slice:
		return v.Len() == 0
	}
	return false
}

func (s *Service) notifyGet(ctx context.Context, data []byte) (any, error) {
	var req api.NameRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	sink, rev, err := s.loadSink(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	v := sinkView(sink, rev)
	kv, err := s.notifyBucket(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := notify.Store{KV: kv}.Log(ctx, sink.Name)
	if err != nil {
		s.log.WarnContext(ctx, "deliveries unreadable", "sink", sink.Name, "error", err)
	}
	slices.Reverse(ds)
	v.Deliveries = ds
	return v, nil
}

func (s *Service) notifyList(ctx context.Context, _ []byte) (any, error) {
	kv, err := s.notifyBucket(ctx)
	if err != nil {
		return nil, err
	}
	w, err := kv.Watch(ctx, notify.SinkKeys, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("list sinks: %w: %w", api.ErrUnavailable, err)
	}
	defer w.Stop()
	out := []api.NotifyView{}
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("list sinks: %w: %w", api.ErrUnavailable, ctx.Err())
		case ent := <-w.Updates():
			if ent == nil {
				slices.SortFunc(out, func(a, b api.NotifyView) int { return strings.Compare(a.Name, b.Name) })
				return out, nil
			}
			var sink notify.Sink
			if json.Unmarshal(ent.Value(), &sink) != nil || sink.Name == "" {
				continue
			}
			out = append(out, sinkView(sink, ent.Revision()))
		}
	}
}

func (s *Service) notifyDelete(ctx context.Context, data []byte) (any, error) {
	var req api.NameRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	sink, rev, err := s.loadSink(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	kv, err := s.notifyBucket(ctx)
	if err != nil {
		return nil, err
	}
	if err := kv.Delete(ctx, notify.SinkKey(sink.Name), jetstream.LastRevision(rev)); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil, fmt.Errorf("sink %q changed concurrently: %w", sink.Name, job.ErrConflict)
		}
		return nil, fmt.Errorf("delete sink %q: %w: %w", sink.Name, api.ErrUnavailable, err)
	}
	if err := (notify.Store{KV: kv}).Forget(ctx, sink.Name); err != nil {
		s.log.WarnContext(ctx, "deliveries of a deleted sink kept", "sink", sink.Name, "error", err)
	}
	return sinkView(sink, rev), nil
}

// notifyTest sends a test alert to one sink, once, and records the attempt
// with its deliveries. The alert names no real job's change: its job is
// TestJob and its message says it is a test.
func (s *Service) notifyTest(ctx context.Context, data []byte) (any, error) {
	var req api.NameRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	sink, _, err := s.loadSink(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := alert.Alert{
		V: alert.Version, Job: TestJob, Health: alert.Failing, Previous: alert.OK, Time: now,
		Reason:   "a test alert sent by `jetcron notify test " + sink.Name + "`; no job changed",
		Detector: s.cfg.InstanceID,
	}
	m := notify.NewMessage(sink.Name, a, s.cfg.UIURL)
	m.Test = true
	if s.cfg.UIURL != "" {
		m.URL = strings.TrimRight(s.cfg.UIURL, "/") + "/" // no job's page
	}
	r := s.sender.Send(ctx, sink, m)
	d := notify.Delivery{
		Time: s.now(), Job: a.Job, Health: a.Health, AlertID: m.ID(), Test: true, Attempt: 1,
		Status: notify.StatusDelivered, Code: r.Code, Duration: r.Duration, By: s.cfg.InstanceID,
	}
	if r.Err != nil {
		d.Status, d.Error = notify.StatusGaveUp, r.Err.Error()
	}
	if kv, err := s.notifyBucket(ctx); err == nil {
		if err := (notify.Store{KV: kv}).AppendLog(ctx, sink.Name, d); err != nil {
			s.log.WarnContext(ctx, "test delivery not recorded", "sink", sink.Name, "error", err)
		}
	}
	return api.NotifyTestResponse{Delivery: d}, nil
}

// TestJob is the job a test alert names.
const TestJob = "jetcron-notify-test"
