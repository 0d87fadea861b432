//go:build linux

package supervisor

// This package does without strings, bytes, bufio, fmt and encoding/binary:
// importing any of them would delay its init function behind most of the
// binary's packages (doc.go). These are the few pieces of them it needs.

// cut slices s around the first sep, as strings.Cut does.
func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// fields splits s around runs of spaces, as strings.Fields does for ASCII.
func fields(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}

// hasByte reports whether s contains b.
func hasByte(s string, b byte) bool {
	_, _, found := cut(s, b)
	return found
}

// appendUvarint and uvarint are encoding/binary's AppendUvarint and Uvarint.
func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func uvarint(b []byte) (uint64, int) {
	var v uint64
	var shift uint
	for i, c := range b {
		if i == 10 {
			return 0, -(i + 1) // overflow
		}
		if c < 0x80 {
			if i == 9 && c > 1 {
				return 0, -(i + 1) // overflow
			}
			return v | uint64(c)<<shift, i + 1
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// wrapped is an error with context, as fmt.Errorf("%s: %w") makes one.
type wrapped struct {
	msg string
	err error
}

func wrap(msg string, err error) error { return &wrapped{msg: msg, err: err} }

func (e *wrapped) Error() string { return e.msg + ": " + e.err.Error() }
func (e *wrapped) Unwrap() error { return e.err }
