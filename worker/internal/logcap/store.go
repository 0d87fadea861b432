package logcap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// store keeps the stored part of the output stream. Until the stream
// outgrows limit it is all in buf, and nothing is on disk. Then spill creates
// dir and two files: the head file holds the first half bytes, and the ring
// file holds the most recent ringSize bytes after those, at offset
// (o-half) mod ringSize for stream offset o; buf becomes the write buffer in
// front of them. half+ringSize is MaxBytes, so a stream that fits the cap is
// stored whole. limit is at most MaxBytes, so a stream held in memory always
// fits it.
type store struct {
	dir        string
	dirMade    bool     // dir was created by spill (the caller removes it)
	head, ring *os.File // nil until spill
	half       int64    // bytes of the head, MaxBytes/2
	ringSize   int64    // bytes of the ring, MaxBytes-half (at least 1)
	limit      int      // most bytes buf holds: min(MemBytes, MaxBytes)
	n          int64    // stream bytes handed to the files
	buf        []byte   // the stream before spill; after, bytes not yet handed to the files
}

func newStore(dir string, maxBytes int64, memBytes int) *store {
	return &store{
		dir:      dir,
		half:     maxBytes / 2,
		limit:    int(min(int64(memBytes), maxBytes)),
		ringSize: maxBytes - maxBytes/2,
	}
}

// onDisk reports whether the stream has spilled to the files.
func (s *store) onDisk() bool { return s.head != nil }

// spill creates the directory and the capture files and writes the stream
// held so far to them; buf is then the write buffer.
func (s *store) spill() error {
	if err := s.makeDir(); err != nil {
		return fmt.Errorf("create capture dir: %w", err)
	}
	head, ring, err := createFiles(s.dir)
	if err != nil {
		return err
	}
	s.head, s.ring = head, ring
	if err := s.flush(); err != nil {
		return err
	}
	if cap(s.buf) < s.limit {
		s.buf = make([]byte, 0, s.limit)
	}
	return nil
}

// makeDir creates s.dir, mode 0700, and its missing parents, also 0700. A
// directory already there (left by a worker that stopped before removing
// it) is removed first, so that the capture files are the only entries of
// a directory this Capture created.
func (s *store) makeDir() error {
	err := os.Mkdir(s.dir, 0o700)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(s.dir), 0o700); err != nil {
			return err
		}
		err = os.Mkdir(s.dir, 0o700)
	}
	if errors.Is(err, fs.ErrExist) {
		if err := os.RemoveAll(s.dir); err != nil {
			return err
		}
		err = os.Mkdir(s.dir, 0o700)
	}
	if err != nil {
		return err
	}
	s.dirMade = true
	return nil
}

// createFiles creates the capture files in dir, mode 0600. O_EXCL: never
// write into, or through a symlink planted as, an existing file.
func createFiles(dir string) (head, ring *os.File, err error) {
	const flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	head, err = os.OpenFile(filepath.Join(dir, HeadFile), flags, 0o600)
	if err != nil {
		return nil, nil, err
	}
	ring, err = os.OpenFile(filepath.Join(dir, RingFile), flags, 0o600)
	if err != nil {
		head.Close()
		return nil, nil, err
	}
	return head, ring, nil
}

// hold appends p to the stream held in memory. buf grows as needed, never
// beyond limit.
func (s *store) hold(p []byte) {
	if need := len(s.buf) + len(p); need > cap(s.buf) {
		buf := make([]byte, len(s.buf), min(max(need, 2*cap(s.buf), minHold), s.limit))
		copy(buf, s.buf)
		s.buf = buf
	}
	s.buf = append(s.buf, p...)
}

// write appends p to the stream: in memory while it fits limit, then
// through the write buffer unless p is large.
func (s *store) write(p []byte) error {
	if !s.onDisk() {
		if len(s.buf)+len(p) <= s.limit {
			s.hold(p)
			return nil
		}
		if err := s.spill(); err != nil {
			return err
		}
	}
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

// flush hands the buffered bytes to the files. Before spill it has nothing
// to do: the bytes in buf are the stored stream.
func (s *store) flush() error {
	if !s.onDisk() || len(s.buf) == 0 {
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
	if !s.onDisk() {
		return nil
	}
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
	s, w := c.st, c.written.Load()
	if !s.onDisk() { // the whole output, w <= MaxBytes; buf is final
		return io.NopCloser(bytes.NewReader(s.buf)), w, nil
	}
	head, ring, err := c.openFiles()
	if err != nil {
		return nil, 0, fmt.Errorf("open stored log: %w", err)
	}
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
	if !s.onDisk() { // the whole output, no gap; copied, as buf may turn into the write buffer
		return bytes.Clone(s.buf[offset:min(w, offset+int64(limit))]), offset, nil
	}
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
