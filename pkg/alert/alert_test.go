package alert_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
)

func TestDecodeRefusesWhatIsNotAnAlert(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for name, data := range map[string]string{
		"not json":       `{`,
		"no job":         `{"health":"ok","time":"2026-12-04T12:00:00Z"}`,
		"bad job":        `{"job":"../x","health":"ok","time":"2026-12-04T12:00:00Z"}`,
		"unknown health": `{"job":"a","health":"sad","time":"2026-12-04T12:00:00Z"}`,
		"bad previous":   `{"job":"a","health":"ok","previous":"x","time":"2026-12-04T12:00:00Z"}`,
		"no time":        `{"job":"a","health":"ok"}`,
	} {
		if _, err := alert.Decode([]byte(data)); !errors.Is(err, alert.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	a, err := alert.Decode([]byte(`{"job":"a","health":"failing","previous":"ok","execution":"a-20261204T120000Z","time":"2026-12-04T12:00:00Z"}`))
	if err != nil || a.Health != alert.Failing || !a.Time.Equal(now) {
		t.Fatalf("Decode = %+v, %v", a, err)
	}
}

func TestMsgIDNamesTheCause(t *testing.T) {
	slot := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	a := alert.Alert{Job: "a", Health: alert.Unaccounted, Slot: slot, Time: slot.Add(time.Minute)}
	b := a
	b.Time = b.Time.Add(time.Second) // detected a second later, by another replica
	if a.MsgID() != b.MsgID() || a.MsgID() != "a/unaccounted/20261204T120000Z" {
		t.Fatalf("MsgID = %q and %q", a.MsgID(), b.MsgID())
	}
	c := alert.Alert{Job: "a", Health: alert.Failing, Execution: "a-x", Time: slot}
	if c.MsgID() != "a/failing/a-x" {
		t.Fatalf("MsgID = %q", c.MsgID())
	}
}

func TestMsgIDNamesThePreviousHealthAndTheRevision(t *testing.T) {
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	// The same execution ends two episodes: late, then overrunning.
	fromLate := alert.Alert{Job: "a", Health: alert.OK, Previous: alert.Late, Execution: "a-x", Time: at}
	fromOver := alert.Alert{Job: "a", Health: alert.OK, Previous: alert.Overrunning, Execution: "a-x", Time: at}
	if fromLate.MsgID() == fromOver.MsgID() || fromLate.MsgID() != "a/ok/a-x/late" {
		t.Fatalf("MsgID = %q and %q", fromLate.MsgID(), fromOver.MsgID())
	}
	paused := alert.Alert{Job: "a", Health: alert.Paused, Previous: alert.OK, Revision: 7, Time: at}
	later := paused
	later.Time = at.Add(time.Minute)
	if paused.MsgID() != "a/paused/r7/ok" || later.MsgID() != paused.MsgID() {
		t.Fatalf("MsgID = %q and %q", paused.MsgID(), later.MsgID())
	}
}
