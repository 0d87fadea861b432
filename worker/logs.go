package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/objstore"
	"github.com/jetcron/jetcron/worker/internal/logcap"
)

// logDir is the directory for the attempt's capture files, created by
// logcap only when the output outgrows what it holds in memory.
func (x *execution) logDir() string {
	return filepath.Join(x.w.cfg.WorkDir, "logs", x.work.ID+"-"+strconv.Itoa(x.attempt))
}

// openCapture starts capturing the attempt's output: capped (in memory while
// small, then on disk) for storage, and streamed live in chunks on
// <ns>.logs.<execution>. It touches no file.
func (x *execution) openCapture() (*logcap.Capture, error) {
	subject := x.w.names.LogSubject(x.work.ID)
	attempt := strconv.Itoa(x.attempt)
	c, err := logcap.New(logcap.Config{
		Dir:      x.logDir(),
		MaxBytes: x.w.cfg.MaxLog,
		PublishFunc: func(ch logcap.Chunk) {
			m := nats.NewMsg(subject)
			m.Data = ch.Data
			m.Header.Set(HeaderOffset, strconv.FormatInt(ch.Offset, 10))
			m.Header.Set(HeaderAttempt, attempt)
			if ch.EOF {
				m.Header.Set(HeaderEOF, "true")
			}
			_ = x.w.nc.PublishMsg(m)
		},
	})
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	x.capture = c
	x.mu.Unlock()
	return c, nil
}

// storeLog closes the capture and stores the complete log; it returns the
// log's URL and size. An empty log is not stored: its final event says
// log_bytes 0, and readers print nothing without asking the store (an
// object per silent attempt would cost three writes for nothing). The
// capture's directory is removed if the capture created one.
func (x *execution) storeLog(ctx context.Context, c *logcap.Capture) (string, int64, error) {
	if c == nil {
		return "", 0, nil
	}
	defer func() {
		if c.DirCreated() { // final: Close has returned
			_ = os.RemoveAll(x.logDir())
		}
	}()
	if err := c.Close(); err != nil {
		return "", 0, fmt.Errorf("close log: %w", err)
	}
	key := objstore.LogKey(x.work.Job, x.work.ID, x.attempt)
	if c.Written() == 0 {
		return x.w.cfg.Logs.URL(key), 0, nil
	}
	var lastErr error
	for try := range 5 {
		if try > 0 {
			time.Sleep(time.Duration(try) * time.Second)
		}
		r, size, err := c.Open()
		if err != nil {
			return "", 0, fmt.Errorf("open log: %w", err)
		}
		pctx, cancel := context.WithTimeout(ctx, time.Minute)
		url, err := x.w.cfg.Logs.Put(pctx, key, r, size)
		cancel()
		r.Close()
		if err == nil {
			x.w.health.ok(x.w, "logs")
			return url, size, nil
		}
		lastErr = err
		x.log.Warn("storing the log failed; retrying", "error", err)
	}
	x.w.health.failed(x.w, "logs", lastErr)
	return "", 0, fmt.Errorf("store log: %w", lastErr)
}
