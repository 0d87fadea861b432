package cli

import (
	"sync"

	"github.com/urfave/cli/v2"
)

// parseMu serializes urfave/cli's flag parsing between Runs in one process
// (tests run the command line concurrently): parsing writes to the
// package-level help and version flags that every App shares.
var parseMu sync.Mutex

// serializeParsing holds parseMu until an action of app starts (or the
// returned release is called, for runs that end before any action): so
// parsing is serialized while long-running commands (worker, dev) run
// concurrently.
func serializeParsing(app *cli.App) (release func()) {
	parseMu.Lock()
	var once sync.Once
	release = func() { once.Do(parseMu.Unlock) }
	var wrap func([]*cli.Command)
	wrap = func(cmds []*cli.Command) {
		for _, c := range cmds {
			if a := c.Action; a != nil {
				c.Action = func(cc *cli.Context) error {
					release()
					return a(cc)
				}
			}
			wrap(c.Subcommands)
		}
	}
	wrap(app.Commands)
	return release
}
