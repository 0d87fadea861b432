# peers.awk: the side-by-side table of tests/bench/peers.sh (POSIX awk).
# Input: jetcron's -summary files sync.tsv and nosync.tsv (phase, metric,
# value; FS tab), then the peers harness's markdown tables (FS '|').

function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }

# jc: a jetcron figure, "" when missing.
function jc(run, phase, metric) { k = run SUBSEP phase SUBSEP metric; return (k in J) ? J[k] : "" }

# peer: the median of the first row of section sec whose scenario matches
# re and whose metric is metric; "" when missing.
function peer(sec, re, metric,    k, parts) {
	for (k in P) {
		split(k, parts, SUBSEP)
		if (parts[1] == sec && parts[2] ~ re && parts[3] == metric) return P[k]
	}
	return ""
}

function num(v) { return v != "" && v + 0 > 0 }
function ratio(a, b) { return (num(a) && num(b)) ? sprintf(a / b < 10 ? "%.2fx" : "%.0fx", a / b) : "-" }
function secs(msv) { return msv == "" ? "" : sprintf("%.2f", msv / 1000) }
function show(v) { return v == "" ? "-" : v }

function row(what, unit, j, r, a, n) {
	printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", what, unit, show(j), show(r), show(a), show(n), ratio(j, r), ratio(j, a), ratio(j, n)
}

FILENAME ~ /nosync-wide\.tsv$/ { J["nosync-wide", $1, $2] = $3; next }
FILENAME ~ /sync-wide\.tsv$/ { J["sync-wide", $1, $2] = $3; next }
FILENAME ~ /nosync\.tsv$/ { J["nosync", $1, $2] = $3; next }
FILENAME ~ /sync\.tsv$/ { J["sync", $1, $2] = $3; next }

/^nats-server default/ { sec = "js" }
/^nats-server syncalways/ { sec = "jssync" }
/^redis-server/ { sec = "asynq" }
/^postgres/ { sec = "river" }
/^\| [ABC] \|/ { P[sec, trim($3), trim($4)] = trim($6) }

END {
	river_rate = peer("river", "^work backlog .*MaxWorkers 2000", "completed rate")
	asynq_rate = peer("asynq", "^process backlog .*concurrency 50$", "processed rate")
	js_sync = peer("jssync", "result publish.*, 4 consumer", "consumed+acked rate")
	js_lazy = peer("js", "result publish.*, 4 consumer", "consumed+acked rate")
	rlat = "^latency insert->work start"
	alat = "^latency enqueue->handler start .*concurrency 50, TaskCheckInterval default"
	nlat = "^latency publish->consumer receipt .*, 4 consumer"

	print "| measure | unit | jetcron | River | asynq | raw JetStream | jetcron / River | jetcron / asynq | jetcron / raw JetStream |"
	print "|---|---|---|---|---|---|---|---|---|"
	row("burst, no-op Go handler, fsync always [1]", "execs/s", jc("sync", "e2e", "rate"), river_rate, asynq_rate, js_sync)
	row("burst, no-op Go handler, --no-sync [1]", "execs/s", jc("nosync", "e2e", "rate"), river_rate, asynq_rate, js_lazy)
	if (jc("sync-wide", "e2e", "rate") != "") {
		row("burst, no-op Go handler, fsync always, worker concurrency " wide " [1]", "execs/s", jc("sync-wide", "e2e", "rate"), river_rate, asynq_rate, js_sync)
		row("burst, no-op Go handler, --no-sync, worker concurrency " wide " [1]", "execs/s", jc("nosync-wide", "e2e", "rate"), river_rate, asynq_rate, js_lazy)
	}
	row("burst, command `true`, fsync always [1]", "execs/s", jc("sync", "e2e-cmd", "rate"), river_rate, asynq_rate, js_sync)
	row("burst: due -> last handler start [2]", "s", secs(jc("sync", "e2e", "handler_max_ms")), peer("river", "ScheduledAt the same second", "due -> all jobs started"), peer("asynq", "ProcessAt the same second", "due -> all tasks done"), "")
	row("steady: due -> handler start p50, fsync always [3]", "ms", jc("sync", "steady", "handler_p50_ms"), peer("river", rlat, "insert->work start p50"), peer("asynq", alat, "enqueue->handler p50"), peer("js", nlat, "publish->receipt p50"))
	row("steady: due -> handler start p99, fsync always [3]", "ms", jc("sync", "steady", "handler_p99_ms"), peer("river", rlat, "insert->work start p99"), peer("asynq", alat, "enqueue->handler p99"), peer("js", nlat, "publish->receipt p99"))
	row("steady: due -> handler start p99, --no-sync [3]", "ms", jc("nosync", "steady", "handler_p99_ms"), peer("river", rlat, "insert->work start p99"), peer("asynq", alat, "enqueue->handler p99"), peer("js", nlat, "publish->receipt p99"))
	row("steady, command `true`: due -> started p50 [3]", "ms", jc("sync", "steady-cmd", "started_p50_ms"), peer("river", rlat, "insert->work start p50"), peer("asynq", alat, "enqueue->handler p50"), peer("js", nlat, "publish->receipt p50"))
	row("steady, command `true`: due -> started p99 [3]", "ms", jc("sync", "steady-cmd", "started_p99_ms"), peer("river", rlat, "insert->work start p99"), peer("asynq", alat, "enqueue->handler p99"), peer("js", nlat, "publish->receipt p99"))
	print ""
	print "Rates: a ratio below 1 means jetcron is behind. Latencies and times: a ratio above 1 means jetcron is slower."
	printf "[1] jetcron: %s one-shot jobs due at one instant, worker concurrency 64 unless said, first slot -> last final event stored. River: completed rate of a backlog, MaxWorkers 2000 (PostgreSQL fsync on). asynq: processed rate of a backlog, concurrency 50 (Redis, no persistence). raw JetStream: publish + pull + result publish + ack, 4 consumers, fsync always for the fsync rows, lazy (2 min) for --no-sync.\n", jc("sync", "e2e", "jobs")
	print "[2] jetcron: the burst above. River: 10,000 jobs ScheduledAt the same second, due -> all started. asynq: 10,000 tasks ProcessAt the same second, due -> all done (its 5 s delayed-task check). Sizes differ; read it as an order of magnitude."
	printf "[3] jetcron: %s executions/s for the steady window (jobs every 1s, spread over the second), slot -> the Go handler began (command: the worker's started event). River: insert -> Work start at 1,000/s, default fetch settings. asynq: enqueue -> handler at 1,000/s, concurrency 50, default TaskCheckInterval (with 10 ms: p50 %s ms, p99 %s ms). raw JetStream: publish -> consumer receipt at 1,000/s.\n", jc("sync", "steady", "jobs"), peer("asynq", "TaskCheckInterval 10ms", "enqueue->handler p50"), peer("asynq", "TaskCheckInterval 10ms", "enqueue->handler p99")
	print ""
	print "jetcron, per execution: CPU (server + scheduler + worker + bench, one process) and the process's peak RSS:"
	print ""
	print "| phase | execs/s | handler p50 / p90 / p99 ms | started p50 / p99 ms | final stored p50 / p99 ms | CPU ms/exec | peak RSS MiB | done |"
	print "|---|---|---|---|---|---|---|---|"
	n = split("sync:e2e nosync:e2e sync-wide:e2e nosync-wide:e2e sync:e2e-cmd sync:steady nosync:steady sync:steady-cmd", runs, " ")
	for (i = 1; i <= n; i++) {
		split(runs[i], rp, ":")
		if (jc(rp[1], rp[2], "rate") == "") continue
		h = rp[2] ~ /-cmd$/ ? "- (no Go handler)" : jc(rp[1], rp[2], "handler_p50_ms") " / " jc(rp[1], rp[2], "handler_p90_ms") " / " jc(rp[1], rp[2], "handler_p99_ms")
		printf "| %s%s%s | %s | %s | %s / %s | %s / %s | %s | %s | %s/%s |\n", rp[2], (rp[1] ~ /^nosync/ ? " --no-sync" : ""), (rp[1] ~ /-wide$/ ? ", concurrency " wide : ""), jc(rp[1], rp[2], "rate"), h,
			jc(rp[1], rp[2], "started_p50_ms"), jc(rp[1], rp[2], "started_p99_ms"), jc(rp[1], rp[2], "final_p50_ms"), jc(rp[1], rp[2], "final_p99_ms"),
			jc(rp[1], rp[2], "cpu_ms_per_exec"), jc(rp[1], rp[2], "rss_mib"), jc(rp[1], rp[2], "done"), jc(rp[1], rp[2], "expected")
	}
}
