package logcap

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jetcron/jetcron/pkg/clock"
)

const (
	// DefaultMaxBytes is the cap on the stored log when Config.MaxBytes is
	// zero.
	DefaultMaxBytes = 10 << 20
	// DefaultChunkSize is the live chunk size when Config.ChunkSize is zero.
	DefaultChunkSize = 32 << 10
	// DefaultFlushInterval is how long a partial live chunk waits when
	// Config.FlushInterval is zero.
	DefaultFlushInterval = 200 * time.Millisecond
	// DefaultMemBytes is how much output is held in memory before the
	// capture files are created, when Config.MemBytes is zero.
	DefaultMemBytes = 64 << 10

	// HeadFile is the name of the file in Config.Dir that holds the first
	// MaxBytes/2 bytes of the output.
	HeadFile = "output.head"
	// RingFile is the name of the file in Config.Dir that holds the most
	// recent output after the head, as a ring.
	RingFile = "output.ring"

	// minHold is the first allocation for output held in memory.
	minHold = 1 << 10
	// queueLen is how many live chunks may wait for PublishFunc before new
	// ones are dropped.
	queueLen = 16
)

var (
	// ErrClosed is returned by Write after Close.
	ErrClosed = errors.New("capture closed")
	// ErrNotClosed is returned by Open before Close: the stored log is
	// final only once the output has ended.
	ErrNotClosed = errors.New("capture not closed")
)

// Config configures a Capture.
type Config struct {
	// Dir is the directory for the capture files HeadFile and RingFile.
	// Required. It is created (mode 0700, missing parents too) only when
	// the output outgrows MemBytes; a directory already there, left by a
	// worker that stopped before removing it, is removed first. When
	// DirCreated reports true, the caller removes the directory once it no
	// longer needs the stored log.
	Dir string
	// MaxBytes is the cap on the stored log in bytes, not counting the
	// truncation marker. Defaults to DefaultMaxBytes (10 MiB).
	MaxBytes int64
	// MemBytes is the most output held in memory per Capture. Output up
	// to MemBytes (and up to MaxBytes) stays in memory and nothing is
	// written to disk; beyond that it spills to the capture files, and
	// MemBytes is the size of the write buffer in front of them. Defaults
	// to DefaultMemBytes (64 KiB).
	MemBytes int
	// ChunkSize is the size in bytes of a full live chunk. Defaults to
	// DefaultChunkSize (32 KiB).
	ChunkSize int
	// FlushInterval is how long a partial live chunk waits for more output
	// before it is published anyway. Defaults to DefaultFlushInterval
	// (200ms).
	FlushInterval time.Duration
	// PublishFunc, if not nil, is called with each live chunk, in order,
	// from a single goroutine. It must not block for long: while it does,
	// new chunks are dropped (and counted) rather than queued without limit.
	// The chunk's Data is not reused by the Capture.
	PublishFunc func(Chunk)
	// Clock makes the flush timer. Defaults to the wall clock.
	Clock clock.Clock
}

func (c Config) withDefaults() Config {
	c.MaxBytes = cmp.Or(c.MaxBytes, DefaultMaxBytes)
	c.MemBytes = cmp.Or(c.MemBytes, DefaultMemBytes)
	c.ChunkSize = cmp.Or(c.ChunkSize, DefaultChunkSize)
	c.FlushInterval = cmp.Or(c.FlushInterval, DefaultFlushInterval)
	c.Clock = cmp.Or[clock.Clock](c.Clock, clock.New())
	return c
}

func (c Config) validate() error {
	switch {
	case c.Dir == "":
		return errors.New("dir: required")
	case c.MaxBytes < 0:
		return fmt.Errorf("max bytes %d: negative", c.MaxBytes)
	case c.MemBytes < 0:
		return fmt.Errorf("mem bytes %d: negative", c.MemBytes)
	case c.ChunkSize < 0:
		return fmt.Errorf("chunk size %d: negative", c.ChunkSize)
	case c.FlushInterval < 0:
		return fmt.Errorf("flush interval %v: negative", c.FlushInterval)
	}
	return nil
}

// Chunk is a piece of a run's raw output for live followers.
type Chunk struct {
	// Offset is the offset of Data[0] in the run's raw output stream, which
	// counts every byte ever written. A follower that sees a gap (a chunk
	// was dropped) can fill it with Capture.ReadFrom.
	Offset int64
	// Data is the output. It may be empty in the EOF chunk.
	Data []byte
	// EOF marks the last chunk of the run.
	EOF bool
}

// Capture stores a run's output with a cap and publishes it live in chunks.
// It is an io.Writer for a single writing goroutine; the other methods are
// safe for concurrent use. Close must be called to release its goroutine.
type Capture struct {
	cfg Config

	written atomic.Int64 // raw bytes accepted by Write
	dropped atomic.Int64 // live chunks dropped

	mu       sync.Mutex // guards the fields below
	closed   bool
	closeErr error  // returned by every Close
	err      error  // sticky storage error
	st       *store // its files, if any, are closed by Close
	pend     []byte // partial live chunk, not yet published
	kicked   bool   // the pump was told about pend

	// The live side; nil when there is no PublishFunc.
	queue    chan Chunk    // chunks for the pump; closed by Close
	kick     chan struct{} // a partial chunk started
	pumpDone chan struct{} // closed when the pump has returned
}

// New returns a Capture. It touches no file: cfg.Dir and the capture files
// are created by the Write that takes the output past cfg.MemBytes.
func New(cfg Config) (*Capture, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("new capture: %w", err)
	}
	c := &Capture{cfg: cfg, st: newStore(cfg.Dir, cfg.MaxBytes, cfg.MemBytes)}
	if cfg.PublishFunc != nil {
		c.queue = make(chan Chunk, queueLen)
		c.kick = make(chan struct{}, 1)
		c.pumpDone = make(chan struct{})
		go c.pump()
	}
	return c, nil
}

// Write stores p and queues it for live followers. It never waits for
// PublishFunc. After a storage error, including a failure to create
// Config.Dir or the capture files, every Write fails with that error.
func (c *Capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	if c.err != nil {
		return 0, c.err
	}
	if err := c.st.write(p); err != nil {
		c.err = fmt.Errorf("store output: %w", err)
		return 0, c.err
	}
	if c.queue != nil {
		c.liveLocked(p)
	}
	c.written.Add(int64(len(p)))
	return len(p), nil
}

// Close writes out buffered output and publishes the rest of the output in
// a final chunk marked EOF. It waits until PublishFunc has been called for
// every queued chunk; the EOF chunk is never dropped. Close is idempotent.
func (c *Capture) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.closeErr
	}
	c.closed = true
	var errs []error
	if c.err != nil {
		errs = append(errs, c.err)
	} else if err := c.st.flush(); err != nil {
		errs = append(errs, fmt.Errorf("store output: %w", err))
	}
	if err := c.st.close(); err != nil {
		errs = append(errs, fmt.Errorf("close capture files: %w", err))
	}
	c.closeErr = errors.Join(errs...)
	var last Chunk
	if c.queue != nil {
		last = Chunk{Data: c.pend, EOF: true, Offset: c.written.Load() - int64(len(c.pend))}
		c.pend = nil
	}
	c.mu.Unlock()

	if c.queue != nil {
		c.queue <- last // blocking: followers must learn that the run ended
		close(c.queue)
		<-c.pumpDone
	}
	return c.closeErr
}

// Written returns the number of raw bytes written so far.
func (c *Capture) Written() int64 { return c.written.Load() }

// Truncated reports whether more was written than the stored log keeps.
func (c *Capture) Truncated() bool { return c.written.Load() > c.cfg.MaxBytes }

// DirCreated reports whether the Capture created Config.Dir, because the
// output outgrew Config.MemBytes. Once Close has returned the answer is
// final; the caller then removes the directory when it is done with the
// stored log.
func (c *Capture) DirCreated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.dirMade
}

// Dropped returns the number of live chunks dropped because PublishFunc did
// not keep up.
func (c *Capture) Dropped() int64 { return c.dropped.Load() }

// path returns the path of a capture file.
func (c *Capture) path(name string) string { return filepath.Join(c.cfg.Dir, name) }

// openFiles opens the capture files for reading.
func (c *Capture) openFiles() (head, ring *os.File, err error) {
	head, err = os.Open(c.path(HeadFile))
	if err != nil {
		return nil, nil, err
	}
	ring, err = os.Open(c.path(RingFile))
	if err != nil {
		head.Close()
		return nil, nil, err
	}
	return head, ring, nil
}

var _ io.Writer = (*Capture)(nil)
