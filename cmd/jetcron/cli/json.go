package cli

import (
	"encoding/json"

	"github.com/urfave/cli/v2"
)

// printJSONLine writes v as one line of JSON (for streams).
func printJSONLine(c *cli.Context, v any) error {
	return json.NewEncoder(c.App.Writer).Encode(v)
}
