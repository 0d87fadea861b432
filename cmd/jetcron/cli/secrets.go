package cli

import (
	"log/slog"
	"os"
)

// secretVars are the environment variables that may hold a secret. Each
// has a _FILE variant (JETCRON_NATS_PASSWORD_FILE, AWS_SECRET_ACCESS_KEY_FILE,
// ...) that keeps the secret out of the environment altogether.
var secretVars = []string{
	"JETCRON_NATS_PASSWORD", "JETCRON_NATS_TOKEN", "JETCRON_WEB_AUTH_TOKEN",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "MINIO_ROOT_PASSWORD",
	// The OTLP exporter's headers (a collector's token); read by roleTracer.
	"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
}

// scrubSecrets removes the secret variables from the process environment
// once the role has read them, so that nothing the process starts later can
// inherit them by mistake. It cannot hide them from /proc/<pid>/environ,
// which shows the environment the process started with: that is why the
// worker is not dumpable and its runs have another uid (docs/security.md).
func scrubSecrets(log *slog.Logger) {
	var removed []string
	for _, k := range secretVars {
		if _, ok := os.LookupEnv(k); ok {
			_ = os.Unsetenv(k)
			removed = append(removed, k)
		}
	}
	if len(removed) > 0 {
		log.Info("secrets read from the environment and removed from it; the _FILE variants keep them out of it entirely", "vars", removed)
	}
}
