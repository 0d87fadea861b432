package client

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natsconn"
	"github.com/jetcron/jetcron/pkg/objstore"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Client talks to a jetcron installation over NATS.
type Client struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	names  topology.Names
	reader *event.Reader
	s3     S3Opener

	scriptMu sync.Mutex     // guards scripts
	scripts  objstore.Store // the NATS object store <ns>-scripts, opened on first use

	logMu sync.Mutex     // guards logs
	logs  objstore.Store // where logs are read; nil: the NATS object store, opened on first use
	// logSet records that WithLogStore gave the log store.
	logSet bool
	// handlers receives the Go handlers of OnSchedule (WithHandlers).
	handlers HandlerRegistry
	// domain is the JetStream domain (WithJetStreamDomain).
	domain string
}

// S3Opener opens an S3-compatible store from a location URL; the CLI sets
// one when --store names S3 (see objstore).
type S3Opener func(ctx context.Context, location, kind string) (objstore.Store, error)

// Option configures a Client.
type Option func(*Client) error

// WithNamespace selects a namespace other than "jetcron".
func WithNamespace(ns string) Option {
	return func(c *Client) error {
		n, err := topology.NewNames(ns)
		if err != nil {
			return err
		}
		c.names = n
		return nil
	}
}

// WithLogStore reads logs from s (the store the workers write them to)
// instead of asking the workers for them. It is never needed: a client
// without it reads logs from the NATS object store, or through the workers
// when they keep logs elsewhere (see Log). A log's key is derived from its
// execution ID and attempt (objstore.LogKey), never taken from an event.
func WithLogStore(s objstore.Store) Option {
	return func(c *Client) error { c.logs, c.logSet = s, true; return nil }
}

// WithJetStreamDomain reaches jetcron's streams and buckets in a JetStream
// domain, for a client connected to a leaf node (`--js-domain`).
func WithJetStreamDomain(domain string) Option {
	return func(c *Client) error {
		if err := natsconn.ValidateJSDomain(domain); err != nil {
			return err
		}
		c.domain = domain
		return nil
	}
}

// New returns a client on nc.
func New(nc *nats.Conn, opts ...Option) (*Client, error) {
	c := &Client{nc: nc, names: topology.MustNames("")}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	js, err := natsconn.JetStream(nc, c.domain)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	c.js = js
	c.reader = event.NewReader(nc, js, c.names)
	return c, nil
}

// JetStreamDomain returns the client's JetStream domain (empty: none).
func (c *Client) JetStreamDomain() string { return c.domain }

// JetStream returns the client's JetStream context (in its domain).
func (c *Client) JetStream() jetstream.JetStream { return c.js }

// Names returns the names of the client's namespace.
func (c *Client) Names() topology.Names { return c.names }

// Conn returns the client's NATS connection.
func (c *Client) Conn() *nats.Conn { return c.nc }

func (c *Client) call(ctx context.Context, verb string, req, out any) error {
	return api.Call(ctx, c.nc, c.names, verb, req, out)
}

// CreateOption modifies CreateJob.
type CreateOption func(*api.CreateRequest)

// WithUpdate replaces the job if it exists.
func WithUpdate() CreateOption { return func(r *api.CreateRequest) { r.Update = true } }

// WithDryRun validates and reports without writing.
func WithDryRun() CreateOption { return func(r *api.CreateRequest) { r.DryRun = true } }

// CreateJob creates a job (or, WithUpdate, replaces it).
func (c *Client) CreateJob(ctx context.Context, spec job.Spec, opts ...CreateOption) (api.CreateResponse, error) {
	req := api.CreateRequest{Spec: spec}
	for _, o := range opts {
		o(&req)
	}
	var resp api.CreateResponse
	err := c.call(ctx, api.VerbJobCreate, req, &resp)
	return resp, err
}

// GetJob returns a job with its next fire times and runtime state.
func (c *Client) GetJob(ctx context.Context, name string) (api.JobView, error) {
	var v api.JobView
	err := c.call(ctx, api.VerbJobGet, api.NameRequest{Name: name}, &v)
	return v, err
}

// ListJobs returns the jobs that match req, by name.
func (c *Client) ListJobs(ctx context.Context, req api.ListRequest) ([]api.JobView, error) {
	var out []api.JobView
	err := c.call(ctx, api.VerbJobList, req, &out)
	return out, err
}

// DisableJob pauses a job, keeping its definition and history.
func (c *Client) DisableJob(ctx context.Context, name, reason string) (api.JobView, error) {
	var v api.JobView
	err := c.call(ctx, api.VerbJobDisable, api.DisableRequest{Name: name, Reason: reason}, &v)
	return v, err
}

// EnableJob resumes a job from now (catchUp: from where it stopped, within
// its catch-up window).
func (c *Client) EnableJob(ctx context.Context, name string, catchUp bool, opts ...ChangeOption) (api.JobView, error) {
	var v api.JobView
	err := c.call(ctx, api.VerbJobEnable, api.EnableRequest{Name: name, CatchUp: catchUp, Reason: changeOf(opts).reason}, &v)
	return v, err
}

// DeleteJob deletes a job's definition; its history stays.
func (c *Client) DeleteJob(ctx context.Context, name string, opts ...ChangeOption) error {
	return c.call(ctx, api.VerbJobDelete, api.DeleteRequest{Name: name, Reason: changeOf(opts).reason}, nil)
}

// AuditJob returns the slot ledger of a job: every slot its schedule
// expected in req's window, with its outcome.
func (c *Client) AuditJob(ctx context.Context, req api.AuditRequest) (api.AuditResponse, error) {
	var l api.AuditResponse
	err := c.call(ctx, api.VerbJobAudit, req, &l)
	return l, err
}

// RunJob runs a job now with params; force ignores its overlap policy.
func (c *Client) RunJob(ctx context.Context, name string, params map[string]string, force bool) (api.RunResponse, error) {
	var r api.RunResponse
	err := c.call(ctx, api.VerbJobRun, api.RunRequest{Name: name, Params: params, Force: force}, &r)
	return r, err
}

// Enqueue adds an ad hoc run of a job at a time, with params.
func (c *Client) Enqueue(ctx context.Context, name string, at time.Time, params map[string]string) (api.RunResponse, error) {
	var r api.RunResponse
	err := c.call(ctx, api.VerbJobEnqueue, api.EnqueueRequest{Name: name, At: at, Params: params}, &r)
	return r, err
}

// Cancel stops a running execution or removes a waiting one.
func (c *Client) Cancel(ctx context.Context, id, reason string) (api.CancelResponse, error) {
	var r api.CancelResponse
	err := c.call(ctx, api.VerbExecCancel, api.CancelRequest{ID: id, Reason: reason}, &r)
	return r, err
}

// Info describes the scheduler replica that answers and the leader.
func (c *Client) Info(ctx context.Context) (api.InfoResponse, error) {
	var r api.InfoResponse
	err := c.call(ctx, api.VerbInfo, struct{}{}, &r)
	return r, err
}

// Workers returns the live workers.
func (c *Client) Workers(ctx context.Context) ([]job.WorkerInfo, error) {
	kv, err := c.js.KeyValue(ctx, c.names.WorkersBucket())
	if err != nil {
		return nil, fmt.Errorf("workers: %w", err)
	}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("workers: %w", err)
	}
	defer w.Stop()
	out := []job.WorkerInfo{}
	for ent := range w.Updates() {
		if ent == nil {
			break
		}
		var wi job.WorkerInfo
		if json.Unmarshal(ent.Value(), &wi) == nil {
			out = append(out, wi)
		}
	}
	return out, nil
}
