package job

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxNameLen is the longest job, queue or handler name.
const MaxNameLen = 128

// ValidateName checks a job, queue or handler name: 1–128 characters of
// [A-Za-z0-9_-]. The error says what is wrong without repeating field names.
func ValidateName(s string) error {
	if s == "" {
		return errorf("must not be empty")
	}
	if len(s) > MaxNameLen {
		return errorf("is %d characters long; at most %d are allowed", len(s), MaxNameLen)
	}
	for i, r := range s {
		if !nameRune(r) {
			return errorf("has %s at position %d; only letters A-Z a-z, digits, '_' and '-' are allowed", describeRune(r), i+1)
		}
	}
	return nil
}

func nameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

func describeRune(r rune) string {
	switch {
	case r == ' ':
		return "a space"
	case r < 0x20 || r == 0x7f:
		return fmt.Sprintf("control character %U", r)
	case r > 0x7f:
		return fmt.Sprintf("non-ASCII character %q", r)
	default:
		return strconv.QuoteRune(r)
	}
}

// ValidateEnvName checks an environment variable name set by a job:
// [A-Za-z_][A-Za-z0-9_]* and not in the reserved JETCRON_ prefix.
func ValidateEnvName(s string) error {
	if s == "" {
		return errorf("must not be empty")
	}
	for i, r := range s {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return errorf("%q is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)", s)
		}
	}
	if strings.HasPrefix(strings.ToUpper(s), "JETCRON_") {
		return errorf("%q uses the reserved JETCRON_ prefix", s)
	}
	return nil
}

// ValidateParamName checks a param key: 1–128 characters of [A-Za-z0-9_.-].
func ValidateParamName(s string) error {
	if s == "" || len(s) > MaxNameLen {
		return errorf("%q must be 1-%d characters", s, MaxNameLen)
	}
	for _, r := range s {
		if !nameRune(r) && r != '.' {
			return errorf("%q has %s; only letters, digits, '_', '-' and '.' are allowed", s, describeRune(r))
		}
	}
	return nil
}
