package api

import (
	"fmt"

	"github.com/jetcron/jetcron/pkg/job"
)

// Stored logs are read through the workers, which hold the log store's
// credentials: a client needs nothing but NATS. Every worker answers log
// reads on <ns>.control.logstore (topology.Names.LogStoreSubject), an
// endpoint of its NATS micro service "<ns>-worker" in one queue group, so
// any worker answers. A request names an execution, an attempt and an
// offset; the answer is one chunk of the log from that offset, at most
// LogChunkMax bytes (and under the connection's max payload), with headers
// saying where it starts, the log's size and whether it is the last. The
// client asks again from the next offset until the last chunk: a log is
// streamed in chunks, each request bounded, and no worker keeps state
// between them. The object read is always the log of that attempt
// (objstore.LogKey of the validated execution ID): nothing else in the
// store can be named.

// LogChunkMax is the most a log read answers at once.
const LogChunkMax = 256 << 10

// LogMaxAttempt bounds the attempt a log read may name.
const LogMaxAttempt = 10_000

// Headers of a log read's answer.
const (
	// LogHeaderOffset is the offset of the chunk's first byte.
	LogHeaderOffset = "Jetcron-Offset"
	// LogHeaderSize is the size of the whole log, when the store knows it.
	LogHeaderSize = "Jetcron-Size"
	// LogHeaderEOF is set on the chunk that ends the log.
	LogHeaderEOF = "Jetcron-Eof"
)

// LogReadRequest asks for a chunk of an attempt's stored log.
type LogReadRequest struct {
	// Execution is the execution ID.
	Execution string `json:"execution_id"`
	// Attempt is the attempt (1 or more).
	Attempt int `json:"attempt"`
	// Offset is the first byte wanted.
	Offset int64 `json:"offset,omitempty"`
	// Max is the most bytes wanted; 0 or over LogChunkMax means LogChunkMax.
	Max int `json:"max,omitempty"`
}

// Validate checks the request and returns the execution's job.
func (r LogReadRequest) Validate() (string, error) {
	jobName, _, err := job.ParseExecutionID(r.Execution)
	if err != nil {
		return "", fmt.Errorf("%w: execution_id: %w", ErrBadRequest, err)
	}
	if r.Attempt < 1 || r.Attempt > LogMaxAttempt {
		return "", fmt.Errorf("%w: attempt: %d is not in 1-%d", ErrBadRequest, r.Attempt, LogMaxAttempt)
	}
	if r.Offset < 0 {
		return "", fmt.Errorf("%w: offset: %d is negative", ErrBadRequest, r.Offset)
	}
	if r.Max < 0 {
		return "", fmt.Errorf("%w: max: %d is negative", ErrBadRequest, r.Max)
	}
	return jobName, nil
}
