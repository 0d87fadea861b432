package wirejson

import json "github.com/go-json-experiment/json/v1"

// Unmarshal parses data into v as encoding/json.Unmarshal does.
func Unmarshal(data []byte, v any) error {
	return json.Unmarshal(data, v)
}
