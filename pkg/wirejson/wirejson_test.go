package wirejson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/wirejson"
)

func sampleEvent() event.Event {
	at := time.Date(2026, 12, 5, 17, 40, 0, 0, time.UTC)
	now := at.Add(1234567 * time.Microsecond)
	code, ms := 2, int64(12)
	return event.Event{V: event.Version, Kind: event.Failed, Job: "nightly", Execution: job.ExecutionID("nightly", at), Time: now,
		ScheduledAt: &at, WallTime: "2026-12-05T18:40:00", TZ: "Europe/Paris", Trigger: job.TriggerSchedule, Queue: "default",
		Revision: 42, Term: 7, Attempt: 1, Worker: "w-abc123", ExitCode: &code, DurationMS: &ms, Error: "exit status 2: \"quoted\" <b>&\u2028",
		Params: map[string]string{"page": "3"}, FollowUps: []string{"x"}}
}

func sampleWork() job.Work {
	at := time.Date(2026, 12, 5, 17, 40, 0, 0, time.UTC)
	spec := job.Spec{Name: "nightly", Schedule: job.Schedule{Cron: "0 3 * * *", TZ: "Europe/Paris"},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"echo", "hi"}}, Queue: "default", Timeout: job.Duration(time.Minute),
		Env: map[string]string{"A": "b"}, Labels: map[string]string{"team": "data"}}
	return job.Work{V: job.WorkVersion, ID: job.ExecutionID("nightly", at), Job: "nightly", ScheduledAt: at, Trigger: job.TriggerSchedule,
		Params: map[string]string{"k": "v"}, Spec: spec, Revision: 9, Term: 3}
}

// seeds are valid messages and the kinds of damage a hostile or old role
// could send.
func seeds(t testing.TB) [][]byte {
	ev, err := json.Marshal(sampleEvent())
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(sampleWork())
	if err != nil {
		t.Fatal(err)
	}
	return [][]byte{
		ev, w,
		[]byte(`{"V":1,"KIND":"started","job":"a","job":"b","time":"2026-12-05T17:40:00Z"}`), // case, duplicates
		[]byte(`{"v":1,"kind":"started","job":"a\xff\xfe","time":"2026-12-05T17:40:00+01:00","extra":[1,{"x":null}]}`),
		[]byte(`{"v":1,"attempt":1e3,"exit_code":null,"duration_ms":-1}`),
		[]byte(`{"v":1,"attempt":99999999999999999999}`),
		[]byte(`{"v":"1"}`), []byte(`{"time":"yesterday"}`), []byte(`{"params":{"a":1}}`), []byte(`[]`), []byte(`null`),
		[]byte(`{"v":1}  {"v":2}`), []byte(`{"v":1,`), []byte(" \t\n{}\n"), []byte(`{"spec":{"timeout":"90s","retry":{"max_attempts":3}}}`),
		[]byte(`{"spec":{"timeout":"1.5h","schedule":{"every":"5m"}},"scheduled_at":"2026-12-05T17:40:00.123456789Z"}`),
		[]byte(`{"spec":{"timeout":90000000000}}`), []byte(`{"spec":{"timeout":"\u0039\u0030s"}}`), []byte(`{"job":"\ud800"}`),
		[]byte(`{"name":"a","nope":1}`), []byte(`{"name":"a","task":{"kind":"go","x":1}}`), []byte(`{"name":"a"} x`), []byte(`{"name":"a"}{}`),
	}
}

// agree decodes data into two values of T, with encoding/json and with
// wirejson, and fails unless both refuse it or both give the same value.
func agree[T any](t *testing.T, data []byte) {
	t.Helper()
	compare[T](t, "Unmarshal", data, json.Unmarshal, wirejson.Unmarshal)
}

// agreeStrict is agree for UnmarshalStrict.
func agreeStrict[T any](t *testing.T, data []byte) {
	t.Helper()
	compare[T](t, "UnmarshalStrict", data, stdStrict, wirejson.UnmarshalStrict)
}

// stdStrict is UnmarshalStrict's contract in encoding/json: a Decoder
// refusing unknown fields, and nothing but white space after the value.
func stdStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the value")
	}
	return nil
}

// compare decodes data into a T with want and with got; both must refuse
// it, or give values that encode alike.
func compare[T any](t *testing.T, name string, data []byte, want, got func([]byte, any) error) {
	t.Helper()
	var a, b T
	errA, errB := want(data, &a), got(data, &b)
	if (errA == nil) != (errB == nil) {
		t.Fatalf("%s %T from %q: encoding/json says %v, wirejson says %v", name, a, data, errA, errB)
	}
	if errA != nil {
		return
	}
	encA, errA := json.Marshal(a)
	encB, errB := json.Marshal(b)
	if errA != nil || errB != nil || !bytes.Equal(encA, encB) {
		t.Fatalf("%s %T from %q:\n encoding/json %s (%v)\n wirejson      %s (%v)", name, a, data, encA, errA, encB, errB)
	}
}

func TestAgreesWithStdlib(t *testing.T) {
	for _, s := range seeds(t) {
		agree[event.Event](t, s)
		agree[job.Work](t, s)
		agreeStrict[job.Spec](t, s)
		agreeStrict[job.Work](t, s)
	}
}

func TestUnmarshalStrictRefuses(t *testing.T) {
	for _, in := range []string{
		`{"name":"a","nope":1}`,                   // an unknown field
		`{"name":"a","task":{"kind":"go","x":1}}`, // an unknown field, nested
		`{"name":"a"}{"name":"b"}`,                // a second value
		`{"name":"a"} garbage`,                    // trailing garbage
		`{"name":"a"`,                             // truncated
		``,
	} {
		var s job.Spec
		if err := wirejson.UnmarshalStrict([]byte(in), &s); err == nil {
			t.Errorf("UnmarshalStrict(%q) took it", in)
		}
	}
	var s job.Spec
	if err := wirejson.UnmarshalStrict([]byte(" {\"NAME\":\"a\"}\n"), &s); err != nil || s.Name != "a" {
		t.Errorf("UnmarshalStrict of a plain definition: %v, %+v", err, s)
	}
}

func FuzzAgreesWithStdlib(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		agree[event.Event](t, data)
		agree[job.Work](t, data)
		agreeStrict[job.Spec](t, data)
		agreeStrict[job.Work](t, data)
	})
}

func BenchmarkDecodeEvent(b *testing.B) { benchDecode[event.Event](b, sampleEvent()) }

func BenchmarkDecodeWork(b *testing.B) { benchDecode[job.Work](b, sampleWork()) }

// benchDecode decodes v's encoding into a T with each package.
func benchDecode[T any](b *testing.B, v T) {
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	for _, dec := range []struct {
		name      string
		unmarshal func([]byte, any) error
	}{{"encoding/json", json.Unmarshal}, {"wirejson", wirejson.Unmarshal}} {
		b.Run(dec.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var out T
				_ = dec.unmarshal(data, &out)
			}
		})
	}
}
