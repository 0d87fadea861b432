package process

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The worker and its supervisor talk over two pipes.
//
// The lifeline (worker → supervisor, the supervisor's fd 3) carries one
// request: the program to start, encoded as length-prefixed byte strings so
// that arguments and environment values reach the program byte for byte. The
// worker then keeps the pipe open without writing; end of file tells the
// supervisor that the worker is gone.
//
// The status pipe (supervisor → worker, the supervisor's fd 4) carries
// reports, one per line: "started <pid>", then either
// "exited <code> <nanoseconds>", "signaled <signal> <nanoseconds>" or
// "failed <errno> <quoted message>". Each line is far below PIPE_BUF, so it is
// written atomically, and it stays readable after the supervisor has died.

const (
	lifelineFD = 3
	statusFD   = 4
	// firstExtraFD is the supervisor's fd of the first of Spec.ExtraFiles,
	// which the program inherits as fd 3.
	firstExtraFD = 5

	// maxRequest bounds the request the supervisor accepts.
	maxRequest = 64 << 20
)

// request is what the supervisor starts.
type request struct {
	Path string
	Args []string
	Dir  string
	Env  []string
	// Cred is "uid:gid" of the program, or empty for the supervisor's own.
	Cred string
	// Cgroup is the run's cgroup directory (the supervisor is in it), or
	// empty.
	Cgroup string
	// Files is how many extra files the supervisor holds from fd 5 on.
	Files int
}

// encode returns r as a uint32 big-endian length followed by the fields, each
// a uvarint length and the bytes; Args and Env are preceded by their count.
func (r request) encode() []byte {
	var body []byte
	str := func(s string) {
		body = binary.AppendUvarint(body, uint64(len(s)))
		body = append(body, s...)
	}
	str(r.Path)
	str(r.Dir)
	str(r.Cred)
	str(r.Cgroup)
	body = binary.AppendUvarint(body, uint64(r.Files))
	for _, list := range [][]string{r.Args, r.Env} {
		body = binary.AppendUvarint(body, uint64(len(list)))
		for _, s := range list {
			str(s)
		}
	}
	out := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(body)), uint32(len(body)))
	return append(out, body...)
}

// readRequest reads one encoded request from r.
func readRequest(r io.Reader) (request, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return request{}, fmt.Errorf("read request length: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxRequest {
		return request{}, fmt.Errorf("request of %d bytes exceeds %d", n, maxRequest)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return request{}, fmt.Errorf("read request: %w", err)
	}
	d := decoder{b: body}
	var req request
	req.Path = d.str()
	req.Dir = d.str()
	req.Cred = d.str()
	req.Cgroup = d.str()
	if files := d.uvarint(); files > 64 {
		d.err = fmt.Errorf("%d extra files", files)
	} else {
		req.Files = int(files)
	}
	req.Args = d.list()
	req.Env = d.list()
	if d.err != nil {
		return request{}, fmt.Errorf("decode request: %w", d.err)
	}
	if len(d.b) != 0 {
		return request{}, fmt.Errorf("decode request: %d trailing bytes", len(d.b))
	}
	return req, nil
}

var errShort = errors.New("truncated field")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errShort
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) list() []string {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) { // every element takes at least one byte
		d.err = errShort
		return nil
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, d.str())
	}
	return out
}

// reportKind says what a report line tells.
type reportKind int

const (
	reportStarted  reportKind = iota + 1 // the program runs; pid is set
	reportExited                         // the program exited; code and duration are set
	reportSignaled                       // a signal ended the program; signal and duration are set
	reportFailed                         // the program could not start; err is set
)

// report is one line of the status pipe.
type report struct {
	kind     reportKind
	pid      int
	code     int
	signal   syscall.Signal
	duration time.Duration
	err      error
}

// final reports whether r says how the program ended.
func (r report) final() bool { return r.kind == reportExited || r.kind == reportSignaled }

// line encodes r as one status line, newline included.
func (r report) line() string {
	switch r.kind {
	case reportStarted:
		return fmt.Sprintf("started %d\n", r.pid)
	case reportExited:
		return fmt.Sprintf("exited %d %d\n", r.code, int64(r.duration))
	case reportSignaled:
		return fmt.Sprintf("signaled %d %d\n", int(r.signal), int64(r.duration))
	default:
		var errno syscall.Errno
		errors.As(r.err, &errno)
		return fmt.Sprintf("failed %d %s\n", int(errno), strconv.Quote(r.err.Error()))
	}
}

// parseReport decodes one status line without its newline.
func parseReport(line string) (report, error) {
	kind, rest, _ := strings.Cut(line, " ")
	ints := func(n int) ([]int64, error) {
		f := strings.Fields(rest)
		if len(f) != n {
			return nil, fmt.Errorf("report %q: want %d fields", line, n)
		}
		out := make([]int64, n)
		for i, s := range f {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("report %q: %w", line, err)
			}
			out[i] = v
		}
		return out, nil
	}
	switch kind {
	case "started":
		v, err := ints(1)
		if err != nil {
			return report{}, err
		}
		return report{kind: reportStarted, pid: int(v[0])}, nil
	case "exited":
		v, err := ints(2)
		if err != nil {
			return report{}, err
		}
		return report{code: int(v[0]), duration: time.Duration(v[1]), kind: reportExited}, nil
	case "signaled":
		v, err := ints(2)
		if err != nil {
			return report{}, err
		}
		return report{code: -1, duration: time.Duration(v[1]), kind: reportSignaled, signal: syscall.Signal(v[0])}, nil
	case "failed":
		num, quoted, _ := strings.Cut(rest, " ")
		errno, err := strconv.Atoi(num)
		if err != nil {
			return report{}, fmt.Errorf("report %q: %w", line, err)
		}
		msg, err := strconv.Unquote(quoted)
		if err != nil {
			return report{}, fmt.Errorf("report %q: %w", line, err)
		}
		return report{err: &startError{errno: syscall.Errno(errno), msg: msg}, kind: reportFailed}, nil
	default:
		return report{}, fmt.Errorf("report %q: unknown kind", line)
	}
}

// readReports sends each report read from r on out and closes out at end of
// file or on the first error, which it returns.
func readReports(r io.Reader, out chan<- report) error {
	defer close(out)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rep, err := parseReport(sc.Text())
		if err != nil {
			return err
		}
		out <- rep
	}
	return sc.Err()
}

// startError is why the supervisor could not start the program. It unwraps
// to the errno, so errors.Is(err, fs.ErrNotExist) and the like work.
type startError struct {
	msg   string
	errno syscall.Errno
}

func (e *startError) Error() string { return e.msg }

func (e *startError) Unwrap() error {
	if e.errno == 0 {
		return nil
	}
	return e.errno
}
