package authz_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestRolesUnderTheirUsers runs the whole system on a three-node cluster
// configured by deploy/nats: the admin ensures the topology, the
// scheduler, worker and web roles run as their users, a client as the web
// user drives every feature that crosses NATS — and the servers log not one
// permission violation. Then every role tries what it must not do.
func TestRolesUnderTheirUsers(t *testing.T) {
	e := startEnv(t, 3, "", nil)
	ctx := t.Context()

	out, code := e.cli(ctx, roleAdmin, "admin", "ensure", "--replicas", "3", "--lease", "3s", "--ack-wait", "3s", "--queue", "batch")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "JETCRON_WORK")

	mark := e.viol.mark()
	topoArgs := []string{"--replicas", "3", "--lease", "3s", "--ack-wait", "3s"}
	sched := e.role(roleScheduler, append([]string{"scheduler", "--skip-ensure", "--id", "s1", "--watchdog-interval", "300ms"}, topoArgs...)...)
	// Every event and claim write through the group-commit queue (atomic
	// batches when two or more wait): the batch path under the worker's
	// permissions too.
	wk := e.role(roleWorker, append([]string{"worker", "--id", "w1", "--concurrency", "4", "--work-dir", natstest.WorkDir(t), "--queue", "default", "--group-commit", "all"}, topoArgs...)...)
	webAddr := freeAddr(t)
	web := e.role(roleWeb, "web", "--http", webAddr)

	cl, err := client.New(e.connect(roleWeb))
	require.NoError(t, err)
	natstest.Eventually(t, 30*time.Second, func() bool {
		info, err := cl.Info(ctx)
		return err == nil && info.Leader != ""
	}, "the scheduler answers and leads\nscheduler:\n%s", sched())
	natstest.Eventually(t, 30*time.Second, func() bool {
		ws, err := cl.Workers(ctx)
		return err == nil && len(ws) == 1 && ws[0].ID == "w1"
	}, "the worker is present\nworker:\n%s", wk())

	t.Run("CommandJobRunsWithItsLog", func(t *testing.T) {
		_, err := cl.CreateJob(ctx, job.Spec{Name: "hello", Schedule: job.Schedule{Every: job.Duration(time.Second)},
			Task: job.Task{Kind: job.TaskCommand, Command: []string{"echo", "hello from a restricted worker"}}})
		require.NoError(t, err)
		x := waitExec(t, cl, "hello", job.StateSucceeded)
		var log bytes.Buffer
		require.NoError(t, cl.Log(ctx, x.ID, 0, &log))
		require.Contains(t, log.String(), "hello from a restricted worker")
		_, err = cl.DisableJob(ctx, "hello", "enough")
		require.NoError(t, err)
	})

	t.Run("StoredLogThroughTheWorkers", func(t *testing.T) {
		x := waitExec(t, cl, "hello", job.StateSucceeded)
		req, err := json.Marshal(api.LogReadRequest{Execution: x.ID, Attempt: x.Attempt})
		require.NoError(t, err)
		m, err := e.connect(roleWeb).Request(e.names.LogStoreSubject(), req, 10*time.Second)
		require.NoError(t, err)
		require.Empty(t, m.Header.Get(micro.ErrorHeader))
		require.Contains(t, string(m.Data), "hello from a restricted worker")
	})

	t.Run("ScriptNotStoredIsRefused", func(t *testing.T) {
		digest := strings.Repeat("ab", 32)
		_, err := cl.CreateJob(ctx, job.Spec{Name: "unstored", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskScript, Interpreter: "sh", Script: &job.ScriptRef{Key: job.ScriptKey(digest), SHA256: digest, Size: 3}}})
		require.ErrorIs(t, err, job.ErrInvalid)
		require.ErrorContains(t, err, "not in the scripts store")
	})

	t.Run("ScriptJob", func(t *testing.T) {
		ref, err := cl.UploadScriptBytes(ctx, "greet.sh", []byte("echo script says hi\n"))
		require.NoError(t, err)
		_, err = cl.CreateJob(ctx, job.Spec{Name: "script", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskScript, Interpreter: "sh", Script: ref}})
		require.NoError(t, err)
		_, err = cl.RunJob(ctx, "script", nil, false)
		require.NoError(t, err)
		x := waitExec(t, cl, "script", job.StateSucceeded)
		var log bytes.Buffer
		require.NoError(t, cl.Log(ctx, x.ID, 0, &log))
		require.Contains(t, log.String(), "script says hi")
	})

	t.Run("FollowUpThroughTheAPI", func(t *testing.T) {
		_, err := cl.CreateJob(ctx, job.Spec{Name: "child", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}})
		require.NoError(t, err)
		_, err = cl.CreateJob(ctx, job.Spec{Name: "parent", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskCommand, Command: []string{"sh", "-c", `echo '{"job":"child"}' > "$JETCRON_OUTPUT"`}}})
		require.NoError(t, err)
		_, err = cl.RunJob(ctx, "parent", nil, false)
		require.NoError(t, err)
		waitExec(t, cl, "parent", job.StateSucceeded)
		x := waitExec(t, cl, "child", job.StateSucceeded)
		require.Equal(t, job.TriggerFollowUp, x.Trigger)
	})

	t.Run("LiveLogAndCancel", func(t *testing.T) {
		_, err := cl.CreateJob(ctx, job.Spec{Name: "sleeper", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskCommand, Command: []string{"sh", "-c", "echo sleeping; sleep 60"}}})
		require.NoError(t, err)
		run, err := cl.RunJob(ctx, "sleeper", nil, false)
		require.NoError(t, err)
		waitExec(t, cl, "sleeper", job.StateRunning)
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var live lockedWriter
		live.w = &bytes.Buffer{}
		followed := make(chan error, 1)
		go func() { followed <- cl.FollowLog(fctx, run.ExecutionID, &live) }()
		natstest.Eventually(t, 15*time.Second, func() bool { return strings.Contains(live.String(), "sleeping") }, "the live log arrives")
		_, err = cl.Cancel(ctx, run.ExecutionID, "test cancels it")
		require.NoError(t, err)
		waitExec(t, cl, "sleeper", job.StateCancelled)
		select {
		case err := <-followed:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Fatal("following the log did not end with the run")
		}
	})

	t.Run("EventsAndWebAPI", func(t *testing.T) {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, err := cl.RunJob(ctx, "child", nil, false)
		require.NoError(t, err)
		for e, err := range cl.Watch(wctx, event.WatchOptions{Job: "child", Since: time.Now().Add(-time.Minute)}) {
			require.NoError(t, err)
			if e.Kind == event.Succeeded {
				break
			}
		}
		resp, err := http.Get("http://" + webAddr + "/api/v1/jobs")
		require.NoError(t, err, "web:\n%s", web())
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		require.Contains(t, body.String(), "sleeper")
	})

	t.Run("HealthUnderTheSchedulersUser", func(t *testing.T) { healthUnderTheSchedulersUser(t, ctx, cl, sched) })

	t.Run("WorkersListedAsMicroServices", func(t *testing.T) {
		nc := e.connect(roleWeb)
		var info micro.Info
		natstest.Eventually(t, 15*time.Second, func() bool {
			m, err := nc.Request("$SRV.INFO.jetcron-worker", nil, 2*time.Second)
			return err == nil && json.Unmarshal(m.Data, &info) == nil && info.Metadata["worker_id"] == "w1"
		}, "a client lists the worker (nats micro ls)\nworker:\n%s", wk())
		m, err := nc.Request("jetcron.workers.w1.status", nil, 5*time.Second)
		require.NoError(t, err)
		require.Contains(t, string(m.Data), `"id":"w1"`)
	})

	t.Run("NotificationSinks", func(t *testing.T) { notificationSinks(t, e, cl, sched) })
	t.Run("HistoryAndBackfill", func(t *testing.T) { historyAndBackfill(t, ctx, cl, sched) })

	require.Empty(t, e.viol.since(mark), "the roles hit permission violations\nscheduler:\n%s\nworker:\n%s", sched(), wk())

	t.Run("Forbidden", func(t *testing.T) {
		for _, role := range []string{roleScheduler, roleWorker, roleWeb} {
			t.Run(role, func(t *testing.T) { e.checkForbidden(t, role, forbidden(e, role)) })
		}
	})
	t.Run("AllowedRawOperations", func(t *testing.T) { e.checkAllowed(t) })
	t.Run("NoCredentialsNoEntry", func(t *testing.T) {
		_, err := nats.Connect(e.cl.URL(), nats.MaxReconnects(0))
		require.ErrorIs(t, err, nats.ErrAuthorization)
		_, err = nats.Connect(e.cl.URL(), nats.UserInfo(roleWorker, "wrong"), nats.MaxReconnects(0))
		require.ErrorIs(t, err, nats.ErrAuthorization)
	})
}

func waitExec(t *testing.T, cl *client.Client, name string, state job.State) job.Execution {
	t.Helper()
	var found job.Execution
	natstest.Eventually(t, 30*time.Second, func() bool {
		xs, _, err := cl.Executions(t.Context(), client.ListOptions{Job: name, Limit: 50})
		if err != nil {
			return false
		}
		for _, x := range xs {
			if x.State == state {
				found = x
				return true
			}
		}
		return false
	}, "an execution of %s is %s", name, state)
	return found
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// op is one operation on NATS, done raw so that nothing but the server's
// permissions stands in its way.
type op struct {
	name    string
	pub     string // publish to this subject (with a reply inbox)
	sub     string // or subscribe to this subject
	queue   string // in this queue group
	payload string
	// unchanged checks, as the admin, that the operation had no effect.
	unchanged func(t *testing.T)
}

// checkForbidden runs each operation as role and requires a permission
// violation for every one, and no effect.
func (e *env) checkForbidden(t *testing.T, role string, ops []op) {
	refused := 0
	for _, o := range ops {
		errs := make(chan error, 16)
		nc := e.connect(role, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
		nc.SetErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err })
		subject := o.pub
		if o.sub != "" {
			subject = o.sub
			var err error
			if o.queue != "" {
				_, err = nc.QueueSubscribe(o.sub, o.queue, func(*nats.Msg) {})
			} else {
				_, err = nc.Subscribe(o.sub, func(*nats.Msg) {})
			}
			require.NoError(t, err, o.name)
		} else {
			_ = nc.PublishRequest(o.pub, nc.NewRespInbox(), []byte(o.payload))
		}
		_ = nc.Flush()
		select {
		case err := <-errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject) {
				refused++
			} else {
				t.Errorf("%s %s: %v, not a permissions violation", role, o.name, err)
			}
		case <-time.After(3 * time.Second):
			t.Errorf("%s may %s (%s): no permissions violation", role, o.name, subject)
		}
		if o.unchanged != nil {
			o.unchanged(t)
		}
		nc.Close()
	}
	t.Logf("%s: %d of %d forbidden operations refused", role, refused, len(ops))
	require.Equal(t, len(ops), refused)
	require.GreaterOrEqual(t, len(ops), 20, "RELIABILITY T29 asks for 20 per role")
}

// streamIntact checks, as the admin, that a stream still exists with its
// messages.
func (e *env) streamIntact(stream string) func(t *testing.T) {
	var before uint64
	if s, err := e.ajs.Stream(context.Background(), stream); err == nil {
		before = s.CachedInfo().State.Msgs
	}
	return func(t *testing.T) {
		s, err := e.ajs.Stream(t.Context(), stream)
		require.NoError(t, err, "stream %s still exists", stream)
		require.GreaterOrEqual(t, s.CachedInfo().State.Msgs, before, "stream %s keeps its messages", stream)
	}
}

// noMessage checks, as the admin, that nothing was stored on subject.
func (e *env) noMessage(stream, subject string) func(t *testing.T) {
	return func(t *testing.T) {
		s, err := e.ajs.Stream(t.Context(), stream)
		require.NoError(t, err)
		_, err = s.GetLastMsgForSubject(t.Context(), subject)
		require.ErrorIs(t, err, jetstream.ErrMsgNotFound, "nothing stored on %s", subject)
	}
}

func forbidden(e *env, role string) []op {
	n := e.names
	ns := n.Namespace()
	kv := func(bucket, key string) string { return "$KV." + bucket + "." + key }
	work := n.WorkStream()
	events := n.EventsStream()
	workMsg := `{"v":1,"id":"x-20260101T000000Z","job":"x"}`
	common := []op{
		{name: "delete the work stream", pub: "$JS.API.STREAM.DELETE." + work, unchanged: e.streamIntact(work)},
		{name: "delete the events stream", pub: "$JS.API.STREAM.DELETE." + events, unchanged: e.streamIntact(events)},
		{name: "purge the work stream", pub: "$JS.API.STREAM.PURGE." + work, unchanged: e.streamIntact(work)},
		{name: "purge the jobs bucket", pub: "$JS.API.STREAM.PURGE.KV_" + n.JobsBucket(), unchanged: e.streamIntact("KV_" + n.JobsBucket())},
		{name: "delete the claims bucket", pub: "$JS.API.STREAM.DELETE.KV_" + n.ClaimsBucket(), unchanged: e.streamIntact("KV_" + n.ClaimsBucket())},
		{name: "purge the stored logs", pub: "$JS.API.STREAM.PURGE.OBJ_" + n.LogsStore(), unchanged: e.streamIntact("OBJ_" + n.LogsStore())},
		{name: "allow deleting events", pub: "$JS.API.STREAM.UPDATE." + events, payload: `{"name":"` + events + `","deny_delete":false}`, unchanged: e.streamIntact(events)},
		{name: "create a stream", pub: "$JS.API.STREAM.CREATE.STEAL", payload: `{"name":"STEAL","subjects":["` + ns + `.>"]}`},
		{name: "delete the queue's consumer", pub: "$JS.API.CONSUMER.DELETE." + work + "." + n.WorkConsumer("default")},
		{name: "purge the whole account", pub: "$JS.API.ACCOUNT.PURGE.JETCRON"},
		{name: "move the meta leader", pub: "$JS.API.META.LEADER.STEPDOWN"},
		{name: "subscribe to everything", sub: ">"},
		{name: "read default inboxes", sub: "_INBOX.>"},
		{name: "read the system account's events", sub: "$SYS.>"},
	}
	others := map[string][]string{
		roleScheduler: {roleWorker, roleWeb},
		roleWorker:    {roleScheduler, roleWeb},
		roleWeb:       {roleScheduler, roleWorker},
	}
	for _, other := range others[role] {
		common = append(common, op{name: "read the " + other + "'s replies", sub: inboxPrefix(other) + ".>"})
	}
	switch role {
	case roleWorker:
		return append(common,
			op{name: "purge the events stream", pub: "$JS.API.STREAM.PURGE." + events, unchanged: e.streamIntact(events)},
			op{name: "publish work", pub: n.WorkSubject("default", "x", "x-20260101T000000Z", false), payload: workMsg, unchanged: e.noMessage(work, n.WorkSubject("default", "x", "x-20260101T000000Z", false))},
			op{name: "read a job definition", pub: "$JS.API.DIRECT.GET.KV_" + n.JobsBucket() + ".$KV." + n.JobsBucket() + ".hello"},
			op{name: "watch the job definitions", pub: "$JS.API.CONSUMER.CREATE.KV_" + n.JobsBucket()},
			op{name: "write a job definition", pub: kv(n.JobsBucket(), "evil"), payload: `{}`, unchanged: e.noMessage("KV_"+n.JobsBucket(), kv(n.JobsBucket(), "evil"))},
			op{name: "write a cursor", pub: kv(n.StateBucket(), "hello"), payload: `{}`},
			op{name: "take the lease", pub: kv(n.LeaderBucket(), "scheduler"), payload: `{}`},
			op{name: "add a pending run", pub: kv(n.PendingBucket(), "x"), payload: `{}`},
			op{name: "replace a script", pub: "$O." + n.ScriptsStore() + ".C.evil", payload: "rm -rf /"},
			op{name: "delete a work item", pub: "$JS.API.STREAM.MSG.DELETE." + work, payload: `{"seq":1}`},
			op{name: "create a consumer on the work stream", pub: "$JS.API.CONSUMER.CREATE." + work + ".steal", payload: `{"stream_name":"` + work + `","config":{"name":"steal"}}`},
			op{name: "fetch another pool's queue", pub: "$JS.API.CONSUMER.MSG.NEXT." + work + "." + n.WorkConsumer("batch"), payload: `{"batch":1,"expires":100000000}`},
			op{name: "ack another pool's work", pub: "$JS.ACK." + work + "." + n.WorkConsumer("batch") + ".1.1.1.1.1"},
			op{name: "look up another pool's consumer", pub: "$JS.API.CONSUMER.INFO." + work + "." + n.WorkConsumer("batch")},
			op{name: "create a job through the API", pub: n.APISubject("job_create"), payload: `{}`},
			op{name: "delete a job through the API", pub: n.APISubject("job_delete"), payload: `{"name":"hello"}`},
			op{name: "answer the API", sub: n.APISubject("job_create"), queue: ns + "-api"},
		)
	case roleScheduler:
		return append(common,
			op{name: "fetch work", pub: "$JS.API.CONSUMER.MSG.NEXT." + work + "." + n.WorkConsumer("default"), payload: `{"batch":1,"expires":100000000}`},
			op{name: "ack work", pub: "$JS.ACK." + work + "." + n.WorkConsumer("default") + ".1.1.1.1.1"},
			// (It may create a claim: replace claims a waiting execution it
			// cancels.)
			op{name: "write a worker's presence", pub: kv(n.WorkersBucket(), "w1"), payload: `{}`},
			op{name: "write a log object", pub: "$O." + n.LogsStore() + ".C.evil", payload: "x"},
			op{name: "write a script", pub: "$O." + n.ScriptsStore() + ".C.evil", payload: "x"},
			op{name: "publish a live log", pub: n.LogSubject("x-20260101T000000Z"), payload: "x"},
			op{name: "intercept cancel requests", sub: n.CancelSubjects()},
			op{name: "read stored logs through the workers", pub: n.LogStoreSubject(), payload: `{}`},
			op{name: "create a stream for itself", pub: "$JS.API.STREAM.CREATE." + ns + "_X"},
			op{name: "update the work stream", pub: "$JS.API.STREAM.UPDATE." + work, payload: `{"name":"` + work + `"}`, unchanged: e.streamIntact(work)},
		)
	default: // web
		return append(common,
			op{name: "purge the events stream", pub: "$JS.API.STREAM.PURGE." + events, unchanged: e.streamIntact(events)},
			op{name: "publish work", pub: n.WorkSubject("default", "x", "x-20260101T000000Z", false), payload: workMsg, unchanged: e.noMessage(work, n.WorkSubject("default", "x", "x-20260101T000000Z", false))},
			op{name: "publish an event", pub: n.EventSubject("hello", "hello-20260101T000000Z", "succeeded"), payload: `{"v":1}`, unchanged: e.noMessage(events, n.EventSubject("hello", "hello-20260101T000000Z", "succeeded"))},
			op{name: "write a job definition past the API", pub: kv(n.JobsBucket(), "evil"), payload: `{}`},
			op{name: "read job definitions past the API", pub: "$JS.API.DIRECT.GET.KV_" + n.JobsBucket() + ".$KV." + n.JobsBucket() + ".hello"},
			op{name: "read the cursors", pub: "$JS.API.STREAM.INFO.KV_" + n.StateBucket()},
			op{name: "take the lease", pub: kv(n.LeaderBucket(), "scheduler"), payload: `{}`},
			op{name: "write a claim", pub: kv(n.ClaimsBucket(), "x-20260101T000000Z"), payload: `{}`},
			op{name: "fetch work", pub: "$JS.API.CONSUMER.MSG.NEXT." + work + "." + n.WorkConsumer("default"), payload: `{"batch":1}`},
			op{name: "tamper with a stored log", pub: "$O." + n.LogsStore() + ".C.evil", payload: "x"},
			op{name: "answer the API", sub: n.APISubject("job_create"), queue: ns + "-api"},
			op{name: "intercept cancel requests", sub: n.CancelSubjects()},
			op{name: "serve stored logs in the workers' place", sub: n.LogStoreSubject(), queue: ns + "-worker-logs"},
			op{name: "delete a work item", pub: "$JS.API.STREAM.MSG.DELETE." + work, payload: `{"seq":1}`},
			op{name: "create a consumer on the scripts store", pub: "$JS.API.CONSUMER.CREATE.OBJ_" + n.ScriptsStore(), payload: `{"stream_name":"OBJ_` + n.ScriptsStore() + `","config":{"deliver_policy":"all"}}`},
			op{name: "delete a consumer on the events stream", pub: "$JS.API.CONSUMER.DELETE." + events + ".someone"},
		)
	}
}

// checkAllowed performs, as each role, the raw operations its role needs
// that the end-to-end run may not have exercised, and requires them to
// work without a violation.
func (e *env) checkAllowed(t *testing.T) {
	ctx := t.Context()
	n := e.names
	mark := e.viol.mark()

	// Scheduler: publish work on a new queue, create that queue's
	// consumer, read it back, remove it.
	snc := e.connect(roleScheduler)
	sjs, err := jetstream.New(snc)
	require.NoError(t, err)
	_, err = sjs.CreateOrUpdateConsumer(ctx, n.WorkStream(), e.topo.WorkConsumerConfig("adhoc"))
	require.NoError(t, err)
	ack, err := sjs.Publish(ctx, n.WorkSubject("adhoc", "raw", "raw-20260101T000000Z", false), []byte(`{}`), jetstream.WithMsgID("raw/1"))
	require.NoError(t, err)
	ws, err := sjs.Stream(ctx, n.WorkStream())
	require.NoError(t, err)
	natstest.Eventually(t, 10*time.Second, func() bool { // a direct get may reach a replica a moment behind
		_, err := ws.GetMsg(ctx, ack.Sequence)
		return err == nil
	}, "the scheduler reads the work queue")

	// Worker: claim it; record an event; store a log; read a script. (It
	// fetches and acks only its pool's queue, "default", which the runs
	// above exercise; "adhoc" is another pool's, and Forbidden checks that
	// it cannot take it.)
	wnc := e.connect(roleWorker)
	wjs, err := jetstream.New(wnc)
	require.NoError(t, err)
	claims, err := wjs.KeyValue(ctx, n.ClaimsBucket())
	require.NoError(t, err)
	rev, err := claims.Create(ctx, "raw-20260101T000000Z", []byte(`{}`))
	require.NoError(t, err)
	_, err = claims.Update(ctx, "raw-20260101T000000Z", []byte(`{"final":"succeeded"}`), rev)
	require.NoError(t, err)
	_, err = wjs.Publish(ctx, n.EventSubject("raw", "raw-20260101T000000Z", "succeeded"), []byte(`{"v":1}`))
	require.NoError(t, err)
	logs, err := wjs.ObjectStore(ctx, n.LogsStore())
	require.NoError(t, err)
	_, err = logs.PutBytes(ctx, "raw/raw-20260101T000000Z/1.log", []byte("log\n"))
	require.NoError(t, err)
	wcl, err := client.New(e.connect(roleWeb))
	require.NoError(t, err)
	ref, err := wcl.UploadScriptBytes(ctx, "x.sh", []byte("true\n"))
	require.NoError(t, err)
	scripts, err := wjs.ObjectStore(ctx, n.ScriptsStore())
	require.NoError(t, err)
	natstest.Eventually(t, 10*time.Second, func() bool { // a replica may be a moment behind
		data, err := scripts.GetBytes(ctx, ref.Key)
		return err == nil && string(data) == "true\n"
	}, "the worker reads the script")

	// Scheduler: per-job retention purges one execution's events by its
	// subject (the worker's "succeeded" event above), and nothing else.
	es, err := sjs.Stream(ctx, n.EventsStream())
	require.NoError(t, err)
	raw := n.EventSubject("raw", "raw-20260101T000000Z", "succeeded")
	_, err = es.GetLastMsgForSubject(ctx, raw)
	require.NoError(t, err)
	require.NoError(t, es.Purge(ctx, jetstream.WithPurgeSubject(n.ExecutionEventsFilter("raw", "raw-20260101T000000Z"))))
	natstest.Eventually(t, 10*time.Second, func() bool { // a replica may be a moment behind
		_, err := es.GetLastMsgForSubject(ctx, raw)
		return errors.Is(err, jetstream.ErrMsgNotFound)
	}, "the execution's events are purged")

	// Worker answers a cancel request for what it runs; web reads logs.
	sub, err := wnc.Subscribe(n.CancelSubject("raw-20260101T000000Z"), func(m *nats.Msg) { _ = m.Respond([]byte("w")) })
	require.NoError(t, err)
	defer sub.Unsubscribe()
	require.NoError(t, wnc.Flush())
	// The subscription reaches the other nodes of the cluster a moment later.
	natstest.Eventually(t, 10*time.Second, func() bool {
		reply, err := snc.Request(n.CancelSubject("raw-20260101T000000Z"), nil, time.Second)
		return err == nil && string(reply.Data) == "w"
	}, "the worker answers the cancel request")
	natstest.Eventually(t, 10*time.Second, func() bool {
		var buf bytes.Buffer
		err := wcl.CopyLog(ctx, "raw-20260101T000000Z", 1, &buf)
		return err == nil && buf.String() == "log\n"
	}, "the web reads the log")

	require.Empty(t, e.viol.since(mark), "allowed operations hit permission violations")
}

// TestConfigurationLint checks the configuration itself: no anonymous
// user, no role with the whole JetStream API or every subject, every role
// user restricted.
func TestConfigurationLint(t *testing.T) {
	setEnv(t)
	conf := copyConfig(t, "")
	opts, err := loadOptions(conf)
	require.NoError(t, err)
	require.Empty(t, opts.NoAuthUser, "no_auth_user lets anyone in")
	roles := map[string]bool{}
	for _, u := range opts.Users {
		if u.Account == nil || u.Account.Name != "JETCRON" {
			continue
		}
		roles[u.Username] = true
		if u.Username == roleAdmin {
			continue
		}
		require.NotNil(t, u.Permissions, "%s has permissions", u.Username)
		require.NotNil(t, u.Permissions.Publish, u.Username)
		require.NotNil(t, u.Permissions.Subscribe, u.Username)
		for _, s := range u.Permissions.Publish.Allow {
			require.False(t, slices.Contains([]string{">", "$JS.>", "$JS.API.>", "$KV.>", "$O.>", "jetcron.>"}, s), "%s may publish to %s", u.Username, s)
		}
		for _, s := range u.Permissions.Subscribe.Allow {
			require.False(t, slices.Contains([]string{">", "_INBOX.>", "$JS.>", "jetcron.>"}, s), "%s may subscribe to %s", u.Username, s)
			if strings.HasPrefix(s, "_INBOX") {
				require.Equal(t, inboxPrefix(u.Username)+".>", s, "%s reads only its own replies", u.Username)
			}
		}
		require.NotEmpty(t, u.Password)
		require.False(t, strings.HasPrefix(u.Password, "$"), "%s's password comes from the environment", u.Username)
	}
	require.Equal(t, map[string]bool{roleScheduler: true, roleWorker: true, roleWeb: true, roleAdmin: true}, roles)
	require.True(t, opts.SyncAlways, "jetstream sync_interval: always")
	data, err := json.Marshal(opts.Cluster.Name)
	require.NoError(t, err)
	require.Equal(t, `"jetcron"`, string(data))
	require.Len(t, opts.Routes, 3, fmt.Sprint(opts.Routes))
}
