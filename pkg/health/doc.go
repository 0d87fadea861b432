// Package health is a job's health as it is stored: one value per job in
// the health bucket (topology.Names.HealthBucket), keyed by the job's name.
//
// Every scheduler replica's watchdog (scheduler/internal/watchdog) derives
// each job's health from the job's events, its expectations (job.Expect)
// and its slots, and writes a change here with a revision-checked update,
// after appending the alert that announces it (package alert). The bucket
// is what makes health state rather than memory: a restarted replica reads
// it back, so a job that was failing stays failing, and a change is
// announced once, not once per replica or per restart. The API's job_get
// and job_list answers carry it, and so `jetcron job get`, `job list`, the
// HTTP API and the web UI show it.
//
// A State also carries the counters the health is derived from that events
// of the distant past would be needed to rebuild: the consecutive failures
// and the last success. Seq is the events stream sequence of the job's last
// event the writer had applied: a replica that reads the bucket back applies
// only the job's later events, and a replica whose view of the events is
// older than the stored one does not overwrite it.
package health
