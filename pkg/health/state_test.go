package health_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/health"
)

func TestDecodeRefusesWhatIsNotAState(t *testing.T) {
	for name, data := range map[string]string{
		"not json":         `{`,
		"bad job":          `{"job":"../x","health":"ok"}`,
		"unknown health":   `{"job":"a","health":"sad"}`,
		"negative counter": `{"job":"a","health":"ok","consecutive_failures":-1}`,
		"another job":      `{"job":"b","health":"ok"}`,
	} {
		if _, err := health.Decode("a", []byte(data)); !errors.Is(err, health.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	data, err := health.Encode(health.State{Job: "a", Health: alert.Failing, ConsecutiveFailures: 3, LastSuccess: at, Seq: 9})
	if err != nil {
		t.Fatal(err)
	}
	s, err := health.Decode("a", data)
	if err != nil || s.V != health.Version || s.Health != alert.Failing || s.ConsecutiveFailures != 3 || !s.LastSuccess.Equal(at) || s.Seq != 9 {
		t.Fatalf("Decode = %+v, %v", s, err)
	}
	if _, err := health.Encode(health.State{Job: "a", Health: "sad"}); !errors.Is(err, health.ErrInvalid) {
		t.Fatalf("Encode of an invalid state: %v", err)
	}
}
