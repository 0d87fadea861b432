package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// listChunk is how many definitions job_list reads at once (each with its
// state), listReads how many reads it keeps in flight. minViewSize is less
// than any job's view takes in a reply: a list without a limit of more
// jobs than the max payload holds at that size is refused at once, before
// reading them all.
const (
	listChunk   = 256
	listReads   = 32
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
// job deleted meanwhile, or stored damaged, is nil.
func (s *Service) readViews(ctx context.Context, names []string) ([]*api.JobView, error) {
	views := make([]*api.JobView, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listReads)
	for i, name := range names {
		g.Go(func() error {
			ent, err := s.jobs.Get(gctx, name)
			if err != nil {
				if isNotFound(err) {
					return nil
				}
				return fmt.Errorf("list jobs: read %s: %w: %w", name, api.ErrUnavailable, err)
			}
			var spec job.Spec
			if json.Unmarshal(ent.Value(), &spec) != nil || spec.Name == "" {
				return nil
			}
			v := s.viewN(spec, ent.Revision(), 1)
			v.Health = s.jobHealth(gctx, name)
			if rt := s.runtime(gctx, name); rt != nil {
				v.State = rt
				if rt.Completed {
					v.Status, v.Next = api.StatusCompleted, nil
				}
			}
			views[i] = &v
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return views, nil
}

func isNotFound(err error) bool {
	return errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted)
}
