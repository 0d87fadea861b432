package supervisor

import (
	"errors"
	"io"
	"strconv"
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

// The supervisor's file descriptors.
const (
	LifelineFD = 3 // the lifeline's read end
	StatusFD   = 4 // the status pipe's write end
	// FirstExtraFD is the supervisor's fd of the first of the program's
	// extra files, which the program inherits as fd 3.
	FirstExtraFD = 5
)

const (
	// maxRequest bounds the request the supervisor accepts.
	maxRequest = 64 << 20
	// maxReportLine bounds a line of the status pipe the worker accepts
	// (bufio.Scanner's default limit, which the worker used before).
	maxReportLine = 64 << 10
)

// Request is what the supervisor starts.
type Request struct {
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

// Encode returns r as a uint32 big-endian length followed by the fields, each
// a uvarint length and the bytes; Args and Env are preceded by their count.
func (r Request) Encode() []byte {
	var body []byte
	str := func(s string) {
		body = appendUvarint(body, uint64(len(s)))
		body = append(body, s...)
	}
	str(r.Path)
	str(r.Dir)
	str(r.Cred)
	str(r.Cgroup)
	body = appendUvarint(body, uint64(r.Files))
	for _, list := range [][]string{r.Args, r.Env} {
		body = appendUvarint(body, uint64(len(list)))
		for _, s := range list {
			str(s)
		}
	}
	n := len(body)
	out := append(make([]byte, 0, 4+n), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	return append(out, body...)
}

// ReadRequest reads one encoded request from r.
func ReadRequest(r io.Reader) (Request, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Request{}, wrap("read request length", err)
	}
	n := uint32(hdr[0])<<24 | uint32(hdr[1])<<16 | uint32(hdr[2])<<8 | uint32(hdr[3])
	if n > maxRequest {
		return Request{}, errors.New("request of " + strconv.FormatUint(uint64(n), 10) + " bytes exceeds " + strconv.Itoa(maxRequest))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return Request{}, wrap("read request", err)
	}
	d := decoder{b: body}
	var req Request
	req.Path = d.str()
	req.Dir = d.str()
	req.Cred = d.str()
	req.Cgroup = d.str()
	if files := d.uvarint(); files > 64 {
		d.err = errors.New(strconv.FormatUint(files, 10) + " extra files")
	} else {
		req.Files = int(files)
	}
	req.Args = d.list()
	req.Env = d.list()
	if d.err != nil {
		return Request{}, wrap("decode request", d.err)
	}
	if len(d.b) != 0 {
		return Request{}, errors.New("decode request: " + strconv.Itoa(len(d.b)) + " trailing bytes")
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
	v, n := uvarint(d.b)
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

// ReportKind says what a report line tells.
type ReportKind int

// The kinds of report.
const (
	Started  ReportKind = iota + 1 // the program runs; PID is set
	Exited                         // the program exited; Code and Duration are set
	Signaled                       // a signal ended the program; Signal and Duration are set
	Failed                         // the program could not start; Err is set
)

// Report is one line of the status pipe.
type Report struct {
	Kind     ReportKind
	PID      int
	Code     int
	Signal   syscall.Signal
	Duration time.Duration
	Err      error
}

// Final reports whether r says how the program ended.
func (r Report) Final() bool { return r.Kind == Exited || r.Kind == Signaled }

// Line encodes r as one status line, newline included.
func (r Report) Line() string {
	switch r.Kind {
	case Started:
		return "started " + strconv.Itoa(r.PID) + "\n"
	case Exited:
		return "exited " + strconv.Itoa(r.Code) + " " + strconv.FormatInt(int64(r.Duration), 10) + "\n"
	case Signaled:
		return "signaled " + strconv.Itoa(int(r.Signal)) + " " + strconv.FormatInt(int64(r.Duration), 10) + "\n"
	default:
		var errno syscall.Errno
		errors.As(r.Err, &errno)
		return "failed " + strconv.Itoa(int(errno)) + " " + strconv.Quote(r.Err.Error()) + "\n"
	}
}

// ParseReport decodes one status line without its newline.
func ParseReport(line string) (Report, error) {
	kind, rest, _ := cut(line, ' ')
	bad := func(why string) error { return errors.New("report " + strconv.Quote(line) + ": " + why) }
	ints := func(n int) ([]int64, error) {
		f := fields(rest)
		if len(f) != n {
			return nil, bad("want " + strconv.Itoa(n) + " fields")
		}
		out := make([]int64, n)
		for i, s := range f {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, wrap("report "+strconv.Quote(line), err)
			}
			out[i] = v
		}
		return out, nil
	}
	switch kind {
	case "started":
		v, err := ints(1)
		if err != nil {
			return Report{}, err
		}
		return Report{Kind: Started, PID: int(v[0])}, nil
	case "exited":
		v, err := ints(2)
		if err != nil {
			return Report{}, err
		}
		return Report{Code: int(v[0]), Duration: time.Duration(v[1]), Kind: Exited}, nil
	case "signaled":
		v, err := ints(2)
		if err != nil {
			return Report{}, err
		}
		return Report{Code: -1, Duration: time.Duration(v[1]), Kind: Signaled, Signal: syscall.Signal(v[0])}, nil
	case "failed":
		num, quoted, _ := cut(rest, ' ')
		errno, err := strconv.Atoi(num)
		if err != nil {
			return Report{}, wrap("report "+strconv.Quote(line), err)
		}
		msg, err := strconv.Unquote(quoted)
		if err != nil {
			return Report{}, wrap("report "+strconv.Quote(line), err)
		}
		return Report{Err: &startError{errno: syscall.Errno(errno), msg: msg}, Kind: Failed}, nil
	default:
		return Report{}, bad("unknown kind")
	}
}

// ReadReports sends each report read from r on out and closes out at end of
// file or on the first error, which it returns.
func ReadReports(r io.Reader, out chan<- Report) error {
	defer close(out)
	var buf []byte
	chunk := make([]byte, 512)
	for {
		n, err := r.Read(chunk)
		scanned := len(buf)
		buf = append(buf, chunk[:n]...)
		for i := scanned; i < len(buf); i++ {
			if buf[i] != '\n' {
				continue
			}
			rep, perr := ParseReport(string(buf[:i]))
			if perr != nil {
				return perr
			}
			out <- rep
			buf = append(buf[:0], buf[i+1:]...)
			i = -1
		}
		if len(buf) > maxReportLine {
			return errors.New("report line longer than " + strconv.Itoa(maxReportLine) + " bytes")
		}
		switch {
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return errors.New("report cut short: " + strconv.Quote(string(buf)))
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
	}
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
