package wirejson

import (
	jsonv2 "github.com/go-json-experiment/json"
	json "github.com/go-json-experiment/json/v1"
)

// Unmarshal parses data into v as encoding/json.Unmarshal does.
func Unmarshal(data []byte, v any) error {
	return json.Unmarshal(data, v)
}

// strict is encoding/json's semantics, refusing unknown fields.
var strict = jsonv2.JoinOptions(json.DefaultOptionsV1(), jsonv2.RejectUnknownMembers(true))

// UnmarshalStrict is Unmarshal refusing a field v's type does not have,
// at any depth, as a json.Decoder with DisallowUnknownFields does. Like
// Unmarshal, and unlike such a Decoder, it refuses anything but white
// space after the value.
func UnmarshalStrict(data []byte, v any) error {
	return jsonv2.Unmarshal(data, v, strict)
}
