package retention

import "testing"

func TestLogOf(t *testing.T) {
	for key, want := range map[string]string{
		"j/j-20260101T000000Z/1.log":       "j-20260101T000000Z",
		"j/j-20260101T000000Z_abc12/2.log": "j-20260101T000000Z_abc12",
		"j/k-20260101T000000Z/1.log":       "", // another job's execution
		"j/j-20260101T000000Z/1.txt":       "",
		"j/j-20260101T000000Z":             "",
		"j/a/b/c.log":                      "",
		"jj/jj-20260101T000000Z/1.log":     "",
	} {
		got, ok := logOf("j", key)
		if ok != (want != "") || got != want {
			t.Errorf("logOf(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
}
