package cli

import (
	"context"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/tracing"
)

// roleTracer returns the tracer of a role when the OTEL_* variables
// configure an OTLP endpoint (nil otherwise), and the function that sends
// its last spans at exit. It reads the variables before scrubSecrets
// removes the exporter's headers (they may hold a token).
func roleTracer(c *cli.Context, service, ns string) (*tracing.Tracer, func(), error) {
	t, err := tracing.FromEnv(c.Context, tracing.Options{Namespace: ns, Service: service, Version: Version})
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	return t, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = t.Shutdown(ctx)
	}, nil
}
