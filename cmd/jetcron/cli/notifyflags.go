package cli

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/notify"
	"github.com/jetcron/jetcron/scheduler"
)

// notifyFlags configure a scheduler's notifications and heartbeat.
func notifyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "ui-url", Usage: "base URL of the web UI, linked from notifications (e.g. https://jetcron.example.com)", EnvVars: []string{"JETCRON_UI_URL"}},
		&cli.StringFlag{Name: "heartbeat-url", Usage: "URL to GET every --heartbeat-interval while this scheduler leads (a dead man's switch such as healthchecks.io)", EnvVars: []string{"JETCRON_HEARTBEAT_URL"}},
		&cli.DurationFlag{Name: "heartbeat-interval", Value: time.Minute, Usage: "how often to ping --heartbeat-url", EnvVars: []string{"JETCRON_HEARTBEAT_INTERVAL"}},
	}
}

// notifyConfigOf reads notifyFlags; uiURL is the default of --ui-url.
func notifyConfigOf(c *cli.Context, uiURL string) (scheduler.NotifyConfig, error) {
	cfg := scheduler.NotifyConfig{UIURL: uiURL, HeartbeatURL: c.String("heartbeat-url"), HeartbeatInterval: c.Duration("heartbeat-interval")}
	if c.IsSet("ui-url") {
		cfg.UIURL = c.String("ui-url")
	}
	if cfg.UIURL != "" {
		if err := notify.ValidateURL(cfg.UIURL); err != nil {
			return cfg, usageErr("--ui-url: %v", err)
		}
	}
	if cfg.HeartbeatURL != "" {
		if err := notify.ValidateURL(cfg.HeartbeatURL); err != nil {
			return cfg, usageErr("--heartbeat-url: %v", err)
		}
	}
	if cfg.HeartbeatInterval < time.Second {
		return cfg, usageErr("--heartbeat-interval: %s is shorter than 1s", cfg.HeartbeatInterval)
	}
	return cfg, nil
}
