package cli

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// reorder moves positional arguments after the flags of the command they
// belong to, so "job create NAME --every 2s -- echo hi" parses like
// "job create --every 2s NAME -- echo hi". Everything after "--" stays as
// it is. Flags that take a value keep it.
func reorder(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	rest := args[1:]
	var argv []string
	if i := indexOf(rest, "--"); i >= 0 {
		rest, argv = rest[:i], rest[i:]
	}
	// Walk down the command tree: global flags, then command names. A
	// global flag given after a command name moves back to the front.
	flags := app.Flags
	cmds := app.Commands
	var global, positional, flagTokens, path []string
	depth := 0
	for i := 0; i < len(rest); i++ {
		tok := rest[i]
		if strings.HasPrefix(tok, "-") && tok != "-" {
			set := flags
			dst := &flagTokens
			if depth > 0 && !knows(flags, tok) && knows(app.Flags, tok) {
				set, dst = app.Flags, &global
			}
			*dst = append(*dst, tok)
			if takesValue(set, tok) && !strings.Contains(tok, "=") && i+1 < len(rest) {
				*dst = append(*dst, rest[i+1])
				i++
			}
			continue
		}
		if len(positional) == 0 {
			if cmd := findCommand(cmds, tok); cmd != nil {
				if depth == 0 {
					global = append(global, flagTokens...)
				} else {
					path = append(path, flagTokens...)
				}
				path = append(path, tok)
				flagTokens = nil
				flags, cmds = cmd.Flags, cmd.Subcommands
				depth++
				continue
			}
		}
		positional = append(positional, tok)
	}
	if depth == 0 {
		global = append(global, flagTokens...)
		flagTokens = nil
	}
	out = append(out, global...)
	out = append(out, path...)
	out = append(out, flagTokens...)
	if len(positional) == 0 && len(argv) == 0 {
		return out
	}
	// "--" ends the flags: positional arguments that look like flags, and
	// the command's own argv, reach the command untouched.
	out = append(out, "--")
	out = append(out, positional...)
	if len(argv) > 0 {
		argv = argv[1:]
	}
	return append(out, argv...)
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name || contains(c.Aliases, name) {
			return c
		}
	}
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// knows reports whether the flag token names one of flags.
func knows(flags []cli.Flag, tok string) bool {
	name := strings.TrimLeft(tok, "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	if name == "help" || name == "h" {
		return true
	}
	for _, f := range flags {
		if contains(f.Names(), name) {
			return true
		}
	}
	return false
}

// takesValue reports whether the flag token names a flag that is not a
// boolean (unknown flags are assumed to take a value).
func takesValue(flags []cli.Flag, tok string) bool {
	name := strings.TrimLeft(tok, "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	if name == "help" || name == "h" || name == "version" || name == "v" {
		return false
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				_, isBool := f.(*cli.BoolFlag)
				return !isBool
			}
		}
	}
	return true
}
