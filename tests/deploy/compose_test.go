package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
)

// composeEnv is what deploy/.env.example asks for, with values.
func composeEnv(t *testing.T) []string {
	t.Helper()
	var env []string
	for _, line := range strings.Split(string(readAll(t, ".env.example")), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, ok := strings.Cut(line, "=")
		require.True(t, ok, ".env.example: %q", line)
		env = append(env, name+"=test-"+strings.ToLower(name))
	}
	return env
}

func loadCompose(t *testing.T, env []string) (*types.Project, error) {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join(deployDir, "compose.yaml"))
	require.NoError(t, err)
	opts, err := cli.NewProjectOptions([]string{abs}, cli.WithEnv(env), cli.WithWorkingDirectory(filepath.Dir(abs)), cli.WithDiscardEnvFile)
	require.NoError(t, err)
	return opts.LoadProject(t.Context())
}

func TestComposeFile(t *testing.T) {
	t.Parallel()
	spec := loadCLI(t)
	p, err := loadCompose(t, composeEnv(t))
	require.NoError(t, err, "the compose file is valid (compose-spec schema, interpolation, consistency)")

	// Three NATS nodes with JetStream, sharing deploy/nats.
	for _, name := range []string{"nats-1", "nats-2", "nats-3"} {
		s, ok := p.Services[name]
		require.True(t, ok, name)
		require.Regexp(t, `^nats:2\.1[2-9]`, s.Image, "a NATS release with the 2.12+ fixes (RELIABILITY §2)")
		require.Equal(t, types.ShellCommand{"-c", "/etc/nats/nats-server.conf"}, s.Command)
		require.Equal(t, name, *s.Environment["SERVER_NAME"])
		for _, v := range natsPasswordVars(t) {
			require.NotNil(t, s.Environment[v], "%s gets %s", name, v)
		}
		var data, conf bool
		for _, v := range s.Volumes {
			conf = conf || v.Target == "/etc/nats" && v.ReadOnly && strings.HasSuffix(v.Source, filepath.Join("deploy", "nats"))
			data = data || v.Target == "/data" && v.Type == types.VolumeTypeVolume
		}
		require.True(t, conf && data, "%s mounts deploy/nats read-only and a data volume", name)
		require.NotNil(t, s.HealthCheck)
	}
	conf := string(readAll(t, "nats", "nats-server.conf"))
	require.Contains(t, conf, "sync_interval: always")
	require.Contains(t, conf, "store_dir: /data/jetstream")
	for _, r := range []string{"nats-1:6222", "nats-2:6222", "nats-3:6222"} {
		require.Contains(t, conf, r)
	}
	_, err = os.Stat(filepath.Join(deployDir, "nats", "accounts.conf"))
	require.NoError(t, err)

	require.Contains(t, p.Services, "minio")

	// Roles: their counts, their users, their commands.
	roles := map[string]struct {
		replicas int
		user     string
	}{
		"scheduler": {2, "scheduler"},
		"worker":    {3, "worker"},
		"web":       {1, "web"},
		"ensure":    {1, "admin"},
	}
	for name, want := range roles {
		s, ok := p.Services[name]
		require.True(t, ok, name)
		replicas := 1
		if s.Deploy != nil && s.Deploy.Replicas != nil {
			replicas = *s.Deploy.Replicas
		}
		require.Equal(t, want.replicas, replicas, name)
		require.NotNil(t, s.Build, "%s builds deploy/Dockerfile", name)
		require.Equal(t, filepath.Join("deploy", "Dockerfile"), s.Build.Dockerfile)
		spec.checkArgs(t, "compose "+name, s.Command)
		require.Equal(t, want.user, *s.Environment["JETCRON_NATS_USER"], name)
		require.Contains(t, *s.Environment["JETCRON_NATS_PASSWORD"], "test-", "%s's password comes from .env", name)
		if want.user != "admin" {
			require.Equal(t, "_INBOX_"+want.user, *s.Environment["JETCRON_NATS_INBOX_PREFIX"], "%s reads only its own replies", name)
			require.Equal(t, "3", *s.Environment["JETCRON_REPLICAS"])
		}
		require.Equal(t, "nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222", *s.Environment["JETCRON_NATS_URL"])
		for k := range s.Environment {
			spec.checkEnv(t, "compose "+name, k)
		}
		if name != "ensure" {
			dep, ok := s.DependsOn["ensure"]
			require.True(t, ok, "%s waits for ensure", name)
			require.Equal(t, types.ServiceConditionCompletedSuccessfully, dep.Condition)
		}
	}
	require.Contains(t, p.Services["scheduler"].Command, "--skip-ensure", "the scheduler's user may not create streams")
	require.Equal(t, types.ShellCommand{"admin", "ensure"}, p.Services["ensure"].Command)
	require.NotNil(t, p.Services["worker"].StopGracePeriod)
	require.Greater(t, time.Duration(*p.Services["worker"].StopGracePeriod), 30*time.Second, "workers get longer than their shutdown grace")

	// Each role gets only its own secrets: no role but MinIO's own services
	// gets MinIO's root keys, the schedulers no object storage key, the
	// workers no web token, and the web UI a key of its own.
	for name, svc := range p.Services {
		for k, v := range svc.Environment {
			if v != nil && (k == "AWS_SECRET_ACCESS_KEY" || k == "AWS_ACCESS_KEY_ID") {
				require.NotEqual(t, "test-minio_root_password", *v, "%s gets MinIO's root key", name)
				require.NotEqual(t, "test-minio_root_user", *v, "%s gets MinIO's root user", name)
			}
		}
	}
	require.NotContains(t, p.Services["scheduler"].Environment, "AWS_SECRET_ACCESS_KEY", "the scheduler reads no object storage")
	require.NotContains(t, p.Services["worker"].Environment, "JETCRON_WEB_AUTH_TOKEN", "workers get no web token")
	require.NotNil(t, p.Services["worker"].Environment["AWS_SECRET_ACCESS_KEY"], "workers hold the object storage key")
	require.NotContains(t, p.Services["web"].Environment, "AWS_SECRET_ACCESS_KEY", "the web UI reads logs through the workers: no object storage key")
	// Workers: root in their container only to give runs their own uids.
	wk := p.Services["worker"]
	require.Equal(t, "0:0", wk.User)
	require.Equal(t, []string{"ALL"}, wk.CapDrop)
	require.ElementsMatch(t, []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID"}, wk.CapAdd)

	// A missing password is an error, not an empty password.
	_, err = loadCompose(t, nil)
	require.ErrorContains(t, err, "set in deploy/.env")
}
