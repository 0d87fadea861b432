// Package deploy_test validates deploy/ without a container engine or a
// cluster: the compose file with the compose-spec loader (its JSON schema,
// interpolation and consistency checks), the Kubernetes manifests by strict
// decoding into the Kubernetes API types (an unknown or misspelt field
// fails), the NATS chart values, the systemd unit and the Dockerfile — and
// every jetcron flag or JETCRON_* variable they use against the command
// line's own definitions.
package deploy_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	jetcroncli "github.com/jetcron/jetcron/cmd/jetcron/cli"
)

// deployDir is the repository's deploy directory.
var deployDir = filepath.Join("..", "..", "deploy")

// cliSpec is what the command line accepts: flags per command path and
// every environment variable a flag reads.
type cliSpec struct {
	global map[string]bool
	flags  map[string]map[string]bool // "scheduler", "admin ensure", ... -> flag names
	env    map[string]bool
}

func loadCLI(t *testing.T) cliSpec {
	t.Helper()
	app := jetcroncli.App(jetcroncli.Deps{Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader("")})
	s := cliSpec{global: map[string]bool{}, flags: map[string]map[string]bool{}, env: map[string]bool{}}
	addFlags := func(dst map[string]bool, fs []cli.Flag) {
		for _, f := range fs {
			for _, n := range f.Names() {
				dst[n] = true
			}
			if ev, ok := f.(interface{ GetEnvVars() []string }); ok {
				for _, e := range ev.GetEnvVars() {
					s.env[e] = true
				}
			}
		}
	}
	addFlags(s.global, app.Flags)
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			path := strings.TrimSpace(prefix + " " + c.Name)
			s.flags[path] = map[string]bool{}
			addFlags(s.flags[path], c.Flags)
			walk(path, c.Subcommands)
		}
	}
	walk("", app.Commands)
	return s
}

// checkArgs checks a jetcron argument list (without the program name): a
// known command path, and only flags that command or the global set
// defines.
func (s cliSpec) checkArgs(t *testing.T, where string, args []string) {
	t.Helper()
	var path []string
	i := 0
	for ; i < len(args) && !strings.HasPrefix(args[i], "-"); i++ {
		path = append(path, args[i])
	}
	cmd := strings.Join(path, " ")
	flags, ok := s.flags[cmd]
	require.True(t, ok, "%s: jetcron has no command %q", where, cmd)
	for _, a := range args[i:] {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		require.True(t, flags[name] || s.global[name], "%s: jetcron %s has no flag --%s", where, cmd, name)
	}
}

// nonFlagEnv are variables the deploy files set that no flag reads, but
// that jetcron reads otherwise (S3 credentials) or that belong to NATS.
var nonFlagEnv = map[string]bool{
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true,
}

func (s cliSpec) checkEnv(t *testing.T, where, name string) {
	t.Helper()
	if strings.HasPrefix(name, "JETCRON_") || nonFlagEnv[name] {
		require.True(t, s.env[name] || nonFlagEnv[name], "%s: no jetcron flag reads %s", where, name)
	}
}

// natsPasswordVars are the variables deploy/nats/accounts.conf reads.
func natsPasswordVars(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(deployDir, "nats", "accounts.conf"))
	require.NoError(t, err)
	var vars []string
	for _, m := range regexp.MustCompile(`password:\s*\$([A-Z_]+)`).FindAllStringSubmatch(string(data), -1) {
		vars = append(vars, m[1])
	}
	slices.Sort(vars)
	require.NotEmpty(t, vars)
	return vars
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	require.NoError(t, err)
	df := string(data)
	stages := regexp.MustCompile(`(?m)^FROM\s+\S+\s+AS\s+(\S+)`).FindAllStringSubmatch(df, -1)
	var names []string
	for _, s := range stages {
		names = append(names, s[1])
	}
	require.Equal(t, []string{"build", "minimal", "runtime"}, names, "multi-stage: build, then the images")
	require.Contains(t, df, "CGO_ENABLED=0", "a static binary")
	require.Contains(t, df, "./cmd/jetcron")
	require.Contains(t, df, "tzdata")
	require.Contains(t, df, "/usr/share/zoneinfo")
	users := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(df, -1)
	require.Len(t, users, 2, "both images switch to a user")
	for _, u := range users {
		require.NotRegexp(t, `^(0|root)(:|$)`, u[1], "non-root")
	}
	// The last stage is the default image. Workers run scripts there, so
	// an init reaps what the scripts orphan; jetcron is not PID 1.
	require.Equal(t, "runtime", names[len(names)-1])
	runtime := df[strings.LastIndex(df, "AS runtime"):]
	require.Contains(t, runtime, "tini", "the runtime image installs an init")
	require.Contains(t, runtime, `ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/jetcron"]`)
}

func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	spec := loadCLI(t)
	data, err := os.ReadFile(filepath.Join(deployDir, "systemd", "jetcron@.service"))
	require.NoError(t, err)
	sections := map[string]map[string][]string{}
	var cur string
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			cur = strings.Trim(line, "[]")
			sections[cur] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			require.True(t, ok && cur != "", "line %d: %q is not KEY=VALUE in a section", n+1, line)
			sections[cur][k] = append(sections[cur][k], v)
		}
	}
	require.Contains(t, sections, "Unit")
	require.Contains(t, sections, "Install")
	svc := sections["Service"]
	require.Equal(t, []string{"/usr/local/bin/jetcron %i"}, svc["ExecStart"])
	require.Equal(t, []string{"jetcron"}, svc["User"], "non-root")
	require.Equal(t, []string{"mixed"}, svc["KillMode"], "SIGTERM to jetcron, which stops its runs' groups")
	require.Equal(t, []string{"always"}, svc["Restart"])
	for _, role := range []string{"scheduler", "worker", "web"} {
		spec.checkArgs(t, "jetcron@"+role, []string{role})
	}
	// The worker's drop-in: root bounded to what switching its runs' uid
	// takes, and a delegated cgroup for the runs' cgroups.
	dropIn := string(readAll(t, "systemd", "jetcron@worker.service.d", "isolation.conf"))
	for _, want := range []string{"User=root", "CapabilityBoundingSet=CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_KILL CAP_SETGID CAP_SETUID", "Delegate=yes", "RuntimeDirectory=jetcron"} {
		require.Contains(t, dropIn, "\n"+want+"\n", "jetcron@worker.service.d/isolation.conf")
	}
	envFiles, err := filepath.Glob(filepath.Join(deployDir, "systemd", "*.env.example"))
	require.NoError(t, err)
	require.Len(t, envFiles, 4)
	for _, f := range envFiles {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
			name, _, ok := strings.Cut(line, "=")
			if ok && regexp.MustCompile(`^[A-Z_]+$`).MatchString(strings.TrimSpace(name)) {
				spec.checkEnv(t, filepath.Base(f), strings.TrimSpace(name))
			}
		}
	}
}

// readAll reads a file of deploy/.
func readAll(t *testing.T, parts ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{deployDir}, parts...)...))
	require.NoError(t, err)
	return data
}

// splitYAML splits a multi-document YAML file.
func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func stripComments(s string) string {
	var b bytes.Buffer
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
