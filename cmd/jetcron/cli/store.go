package cli

import (
	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/worker"
)

// withStores configures where the client uploads scripts and reads logs.
// The NATS object store is the default and needs nothing.
func withStores(_ *cli.Context, cl *client.Client) (*client.Client, error) { return cl, nil }

// withWorkerStores configures the worker's script and log stores.
func withWorkerStores(_ *cli.Context, cfg worker.Config) (worker.Config, error) { return cfg, nil }
