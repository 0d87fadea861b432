// Package e2e runs jetcron end to end in one process — a real embedded
// JetStream server, a scheduler, workers — and drives it the way a user
// does, through the command line (cli.Run) and the Go client.
package e2e
