package logcap

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// store keeps the stored part of the output stream in two files: the head
// file holds the first half bytes, and the ring file holds the most recent
// ringSize bytes after those, at offset (o-half) mod ringSize for stream
// offset o. half+ringSize is MaxBytes, so a stream that fits the cap is
// stored whole.
type store struct {
	head, ring *os.File
	half       int64  // bytes of the head, MaxBytes/2
	ringSize   int64  // bytes of the ring, MaxBytes-half (at least 1)
	n          int64  // stream bytes handed to the files
	buf        []byte // stream bytes not yet handed to the files
}

func newStore(dir string, maxBytes int64) (*store, error) {
	// O_EXCL: never write into, or through a symlink planted as, an
	// existing file.
	const flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	head, err := os.OpenFile(filepath.Join(dir, HeadFile), flags, 0o600)
	if err != nil {
		return nil, err
	}
	ring, err := os.OpenFile(filepath.Join(dir, RingFile), flags, 0o600)
	if err != nil {
		head.Close()
		return nil, err
	}
	return &store{
		buf:      make([]byte, 0, writeBufSize),
		half:     maxBytes / 2,
		head:     head,
		ring:     ring,
		ringSize: maxBytes - maxBytes/2,
	}, nil
}

// write appends p to the stream, through the buffer unless p is large.
func (s *store) write(p []byte) error {
	if len(s.buf)+len(p) > cap(s.buf) {
		if err := s.flush(); err != nil {
			return err
		}
	}
	if len(p) >= cap(s.buf) {
		return s.persist(p)
	}
	s.buf = append(s.buf, p...)
	return nil
}

// flush hands the buffered bytes to the files.
func (s *store) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	err := s.persist(s.buf)
	s.buf = s.buf[:0]
	return err
}

// persist writes p, the stream bytes at offset s.n, to the files. Bytes that
// the ring would overwrite within the same call are skipped.
func (s *store) persist(p []byte) error {
	off := s.n
	s.n += int64(len(p))
	if off < s.half {
		k := min(int64(len(p)), s.half-off)
		if _, err := s.head.WriteAt(p[:k], off); err != nil {
			return err
		}
		p, off = p[k:], off+k
	}
	if len(p) == 0 {
		return nil
	}
	if skip := int64(len(p)) - s.ringSize; skip > 0 {
		p, off = p[skip:], off+skip
	}
	pos := (off - s.half) % s.ringSize
	k := min(int64(len(p)), s.ringSize-pos)
	if _, err := s.ring.WriteAt(p[:k], pos); err != nil {
		return err
	}
	if int64(len(p)) > k {
		if _, err := s.ring.WriteAt(p[k:], 0); err != nil {
			return err
		}
	}
	return nil
}

func (s *store) close() error {
	return errors.Join(s.head.Close(), s.ring.Close())
}

// held returns the ranges of the stream of w bytes that the files hold:
// [0, headEnd) in the head and [ringStart, w) in the ring. They touch when
// the stream fits the cap.
func (s *store) held(w int64) (headEnd, ringStart int64) {
	return min(w, s.half), max(s.half, w-s.ringSize)
}

// ringSections returns readers for the stream bytes [from, to), which the
// ring holds, in order.
func (s *store) ringSections(ring io.ReaderAt, from, to int64) []io.Reader {
	if from >= to {
		return nil
	}
	pos := (from - s.half) % s.ringSize
	n := to - from
	first := min(n, s.ringSize-pos)
	out := []io.Reader{io.NewSectionReader(ring, pos, first)}
	if n > first {
		out = append(out, io.NewSectionReader(ring, 0, n-first))
	}
	return out
}

// Open returns the stored log and its size. If no more than MaxBytes were
// written, it is the output exactly as written. Otherwise it is the first
// MaxBytes/2 bytes, the line "\n[jetcron: N bytes truncated]\n" where N is
// the number of bytes left out, and the last MaxBytes/2 bytes. Open fails
// with ErrNotClosed before Close, and after a storage error, since the log
// would be incomplete.
func (c *Capture) Open() (io.ReadCloser, int64, error) {
	c.mu.Lock()
	closed, storeErr := c.closed, c.err
	c.mu.Unlock()
	if !closed {
		return nil, 0, fmt.Errorf("open stored log: %w", ErrNotClosed)
	}
	if storeErr != nil {
		return nil, 0, fmt.Errorf("open stored log: %w", storeErr)
	}
	head, ring, err := c.openFiles()
	if err != nil {
		return nil, 0, fmt.Errorf("open stored log: %w", err)
	}
	s, w := c.st, c.written.Load()
	headEnd, ringStart := s.held(w)
	parts := []io.Reader{io.NewSectionReader(head, 0, headEnd)}
	size := w
	if w > c.cfg.MaxBytes {
		marker := fmt.Sprintf("\n[jetcron: %d bytes truncated]\n", w-2*s.half)
		parts = append(parts, strings.NewReader(marker))
		ringStart = w - s.half
		size = 2*s.half + int64(len(marker))
	}
	parts = append(parts, s.ringSections(ring, ringStart, w)...)
	return &multiReadCloser{Reader: io.MultiReader(parts...), files: []*os.File{head, ring}}, size, nil
}

type multiReadCloser struct {
	io.Reader
	files []*os.File
}

func (m *multiReadCloser) Close() error {
	var errs []error
	for _, f := range m.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// ReadStream returns up to limit bytes of the raw output stream from offset, for
// a follower that joined late or missed a chunk, and the offset the bytes
// actually start at. Only the bytes the stored log still holds can be
// returned: the head always, the tail only for recent bytes. If offset falls
// into the bytes left out, the data starts at the oldest byte still held
// after it. A read never spans the gap, and at the end of the output it
// returns no data. ReadStream works before and after Close.
func (c *Capture) ReadStream(offset int64, limit int) ([]byte, int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock() // the ring must not turn under the read
	w := c.written.Load()
	switch {
	case offset < 0 || offset > w:
		return nil, 0, fmt.Errorf("read from %d: outside the output [0, %d]", offset, w)
	case limit <= 0:
		return nil, 0, fmt.Errorf("read from %d: limit %d is not positive", offset, limit)
	case offset == w:
		return nil, w, nil
	}
	if !c.closed && c.err == nil {
		if err := c.st.flush(); err != nil {
			c.err = fmt.Errorf("store output: %w", err)
		}
	}
	if c.err != nil {
		return nil, 0, fmt.Errorf("read from %d: %w", offset, c.err)
	}
	s := c.st
	headEnd, ringStart := s.held(w)
	start, end := offset, w
	switch {
	case start < headEnd && ringStart > headEnd:
		end = headEnd // stop at the gap
	case start >= headEnd && start < ringStart:
		start = ringStart // skip the gap
	}
	end = min(end, start+int64(limit))

	head, ring, err := c.openFiles()
	if err != nil {
		return nil, 0, fmt.Errorf("read from %d: %w", offset, err)
	}
	defer head.Close()
	defer ring.Close()
	var parts []io.Reader
	if start < headEnd {
		parts = append(parts, io.NewSectionReader(head, start, min(end, headEnd)-start))
	}
	parts = append(parts, s.ringSections(ring, max(start, s.half), end)...)
	data := make([]byte, end-start)
	if _, err := io.ReadFull(io.MultiReader(parts...), data); err != nil {
		return nil, 0, fmt.Errorf("read from %d: %w", offset, err)
	}
	return data, start, nil
}
