package catalog

import (
	"bytes"
	"encoding/json"
	"sync"
)

// strictDecoder decodes one JSON value, refusing fields its type does not
// have. Decoders are reused: a leader's takeover decodes a million
// definitions, and a new decoder and its buffer were half of what each
// decode allocated (so half the collector's work while the heap grows).
type strictDecoder struct {
	r   bytes.Reader
	dec *json.Decoder
	// given is how many bytes the decoder was given, over all its uses.
	given int64
}

var strictDecoders = sync.Pool{New: func() any {
	d := new(strictDecoder)
	d.dec = json.NewDecoder(&d.r)
	d.dec.DisallowUnknownFields()
	return d
}}

// decodeStrict decodes the first JSON value of data into v, as a new
// json.Decoder with DisallowUnknownFields would. A decoder goes back to
// the pool only when it decoded without error up to the end of data,
// nothing left buffered, so that its next decode starts as a new
// decoder's does.
func decodeStrict(data []byte, v any) error {
	d := strictDecoders.Get().(*strictDecoder)
	d.r.Reset(data)
	d.given += int64(len(data))
	err := d.dec.Decode(v)
	if err == nil && d.dec.InputOffset() == d.given {
		strictDecoders.Put(d)
	}
	return err
}
