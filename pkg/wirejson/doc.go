// Package wirejson decodes the messages jetcron's roles read on every
// execution — events, work items, claims — and the job definitions a
// leader loads, faster than encoding/json, with encoding/json's semantics.
//
// It is the v1 API of github.com/go-json-experiment/json: encoding/json as
// it is reimplemented over the v2 engine that Go's standard library carries
// behind GOEXPERIMENT=jsonv2. Same results for the same input: field names
// match case-insensitively, the last of duplicate names wins, invalid UTF-8
// becomes U+FFFD, unknown fields are ignored, a type's own UnmarshalJSON or
// UnmarshalText is called as encoding/json calls it (FuzzAgreesWithStdlib
// compares the two on events, work items and definitions). What differs
// is the text of errors, which only ever names a bad message in a log or
// in a rejected event's reason.
//
// UnmarshalStrict decodes a definition from the jobs bucket: unknown
// fields, at any depth, are refused as a json.Decoder with
// DisallowUnknownFields refuses them, and so is anything after the value
// (such a Decoder would have ignored it).
//
// Why: an event is decoded by every watchdog and by the leader's takeover,
// a work item by its worker on every delivery, and decoding them was a
// tenth of an execution's CPU; a leader decodes a million definitions
// when it starts with a million jobs. encoding/json takes 5.2 µs and 25
// allocations to decode a failed event with params, this 3.3 µs and 12
// (BenchmarkDecodeEvent); a work item with its definition 6.8 µs and 37
// against 4.0 µs and 17 (BenchmarkDecodeWork); a definition, its checks
// included, 3.3 µs and 13 with a pooled json.Decoder against 2.2 µs and 6
// (catalog's BenchmarkDecodeSpec). Encoding stays with encoding/json: this
// engine is no faster at it.
//
// Inputs from other roles are still hostile: decoding gives a value, and
// every caller validates it as before.
package wirejson
