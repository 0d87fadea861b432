package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// listChunk is how many definitions job_list reads at once (each with its
// state and health, in a batched read of each bucket). minViewSize is less
// than any job's view takes in a reply: a list without a limit of more
// jobs than the max payload holds at that size is refused at once, before
// reading them all.
const (
	listChunk   = 256
	minViewSize = 200
)

// list answers job_list: the names come in order from the name index
// (names.go), and only the definitions of the page are read.
func (s *Service) list(ctx context.Context, data []byte) (any, error) {
	var req api.ListRequest
	if len(data) > 0 {
		if err := decode(data, &req); err != nil {
			return nil, err
		}
	}
	if req.Limit < 0 {
		return nil, job.Fieldf("limit", "%d is negative", req.Limit)
	}
	if req.After != "" {
		if err := job.ValidateName(req.After); err != nil {
			return nil, job.Fieldf("after", "%q %v", req.After, err)
		}
	}
	names, err := s.index.from(ctx, req.Prefix, req.After)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w: %w", api.ErrUnavailable, err)
	}
	if limit := s.nc.MaxPayload() / minViewSize; req.Limit == 0 && len(req.Labels) == 0 && int64(len(names)) > limit {
		return nil, fmt.Errorf("%w: %d jobs do not fit in one reply (the NATS server's max payload is %d bytes); ask for a page of them (job list --limit N, then --after the last name)", errTooLarge, len(names), s.nc.MaxPayload())
	}
	out := []api.JobView{}
	for len(names) > 0 && (req.Limit == 0 || len(out) < req.Limit) {
		chunk := names[:min(listChunk, len(names))]
		names = names[len(chunk):]
		views, err := s.readViews(ctx, chunk)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			if v == nil || !hasLabels(v.Labels, req.Labels) {
				continue
			}
			out = append(out, *v)
			if req.Limit > 0 && len(out) == req.Limit {
				break
			}
		}
	}
	return out, nil
}

// readViews reads the definitions and states of names, in their order; a
// job deleted meanwhile, or stored damaged, is nil. Each bucket is read
// with a batched direct get for the whole chunk (lastValues), not a read
// per key: a page of 100 jobs took 300 requests.
func (s *Service) readViews(ctx context.Context, names []string) ([]*api.JobView, error) {
	var defs, states, healths map[string]streamio.Msg
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { defs, err = s.lastValues(gctx, s.names.JobsBucket(), names); return err })
	g.Go(func() (err error) { states, err = s.lastValues(gctx, s.names.StateBucket(), names); return err })
	if s.health != nil {
		g.Go(func() (err error) { healths, err = s.lastValues(gctx, s.names.HealthBucket(), names); return err })
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("list jobs: %w: %w", api.ErrUnavailable, err)
	}
	views := make([]*api.JobView, len(names))
	for i, name := range names {
		data, rev, ok := liveValue(defs, name)
		if !ok {
			continue
		}
		var spec job.Spec
		if json.Unmarshal(data, &spec) != nil || spec.Name == "" {
			continue
		}
		v := s.viewN(spec, rev, 1)
		if data, _, ok := liveValue(healths, name); ok {
			if st, err := health.Decode(name, data); err == nil {
				v.Health = &st
			}
		}
		var rt job.Runtime
		if data, _, ok := liveValue(states, name); ok && json.Unmarshal(data, &rt) == nil {
			v.State = &rt
			if rt.Completed {
				v.Status, v.Next = api.StatusCompleted, nil
			}
		}
		views[i] = &v
	}
	return views, nil
}

// lastValues reads the last message of each of keys in a KV bucket, by
// key: batched direct gets (DirectLastFor), asked again for the keys an
// answer stopped short of. A key without a message is left out.
func (s *Service) lastValues(ctx context.Context, bucket string, keys []string) (map[string]streamio.Msg, error) {
	pre := "$KV." + bucket + "."
	out := make(map[string]streamio.Msg, len(keys))
	subjects := make([]string, len(keys))
	for i, k := range keys {
		subjects[i] = pre + k
	}
	for len(subjects) > 0 {
		msgs, complete, err := streamio.DirectLastFor(ctx, s.nc, streamio.DirectRequest{Stream: "KV_" + bucket}, subjects)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", bucket, err)
		}
		for _, m := range msgs {
			if k, ok := strings.CutPrefix(m.Subject, pre); ok {
				out[k] = m
			}
		}
		if complete || len(msgs) == 0 {
			break
		}
		subjects = slices.DeleteFunc(subjects, func(sub string) bool { _, ok := out[strings.TrimPrefix(sub, pre)]; return ok })
	}
	return out, nil
}

// liveValue returns the value of key among values and its revision, unless
// it is missing or a deletion's marker.
func liveValue(values map[string]streamio.Msg, key string) ([]byte, uint64, bool) {
	m, ok := values[key]
	if !ok {
		return nil, 0, false
	}
	if op := m.Header.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
		return nil, 0, false
	}
	return m.Data, m.Seq, true
}

func isNotFound(err error) bool {
	return errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted)
}
