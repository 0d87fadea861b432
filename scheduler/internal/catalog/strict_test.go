package catalog

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDecodeStrictAsANewDecoder decodes inputs one after the other, each
// after every kind of ending a reused decoder could carry over, and wants
// what a new decoder gives for each.
func TestDecodeStrictAsANewDecoder(t *testing.T) {
	type v struct {
		A string         `json:"a"`
		B map[string]int `json:"b,omitempty"`
	}
	inputs := []string{
		`{"a":"x"}`,
		`{"a":"y"} `,         // trailing white space
		`{"a":"z"}{"a":"w"}`, // a second value, ignored
		`{"a":"q"} garbage`,  // trailing garbage, ignored
		`{"a":"r","c":1}`,    // unknown field
		`{"a":"s"`,           // truncated
		`{"a":1}`,            // wrong type
		``,                   // empty
		`{"b":{"k":2},"a":""}`,
		`  {"a":"t"}`,
	}
	fresh := func(data []byte) (v, error) {
		var out v
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		return out, dec.Decode(&out)
	}
	for _, first := range inputs {
		for _, then := range inputs {
			var a v
			_ = decodeStrict([]byte(first), &a)
			var got v
			err := decodeStrict([]byte(then), &got)
			want, wantErr := fresh([]byte(then))
			if wantErr != nil {
				require.EqualError(t, err, wantErr.Error(), "%s after %s", then, first)
				continue
			}
			require.NoError(t, err, "%s after %s", then, first)
			require.Equal(t, want, got, "%s after %s", then, first)
		}
	}
}
