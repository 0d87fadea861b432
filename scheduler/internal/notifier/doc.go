// Package notifier delivers alerts (package alert) to notification sinks
// (package notify). Every scheduler replica runs one, leader or not: a
// frozen leader must not silence the alerts that say so.
//
// # One consumer, shared
//
// The replicas share one durable consumer of the alerts stream
// (topology.Config.NotifyConsumerConfig): each alert goes to one replica
// at a time, and the consumer's position is JetStream state, so a replica
// that restarts, or another one, continues where the last acknowledgement
// left. An alert is acknowledged only once every sink that takes it has
// delivered it or given up after its retries; otherwise it is
// negatively acknowledged with a delay and comes again. While sinks work
// on it, the replica tells the server it is in progress, so the ack wait
// does not hand it to another replica.
//
// # A broken sink slows no one
//
// Each sink has its own goroutine and a bounded queue. The consumer's
// callback only matches an alert against the sinks and queues it: it never
// waits for a sink. A sink whose queue is full (it hangs, and its
// attempts and back-offs pile up) does not take the alert now: the alert
// is redelivered later, and the sinks that had it already skip it.
//
// # Once per sink, at least once
//
// Per sink and job, the notify bucket holds a notify.State: the stream
// sequence of the last alert the sink handled. A redelivered alert at or
// below it is not sent again; an alert whose delivery was under way when
// its replica died is sent again (at least once). Attempts are bounded
// (Config.AttemptTimeout each, Config.MaxAttempts in all, with exponential
// back-off) and each is recorded in the sink's log (notify.Log), which
// `jetcron notify get` shows.
//
// # Re-alerting
//
// A sink with a re-alert interval repeats the last alert while the job's
// health stays bad. Every replica scans the states every
// Config.RealertScan (on the wall clock; due is decided on Config.Clock);
// a repetition is claimed by a revision-checked update
// of the state's Sent time before it is sent, so two replicas never both
// send it. The state survives restarts, so does the interval.
//
// # Heartbeat
//
// Heartbeat pings an external dead man's switch while its context lives;
// the scheduler runs one for each lease it holds.
package notifier
