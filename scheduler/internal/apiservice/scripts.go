package apiservice

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// checkScript refuses a script job whose script is not in the NATS object
// store <ns>-scripts, where every worker reads scripts: such a job could
// never run (each run would fail "object not found"). The object's size and
// the digest the object store computed over its content must be the ones
// the job pins, so that a job is not accepted for another script stored
// under its key. Clients upload the script before they create the job
// (client.UploadScript); a dry run is not checked, since apply validates
// every job before it uploads any script.
func (s *Service) checkScript(ctx context.Context, spec job.Spec) error {
	ref := spec.Task.Script
	if spec.Task.Kind != job.TaskScript || ref == nil {
		return nil
	}
	store, err := s.js.ObjectStore(ctx, s.names.ScriptsStore())
	if err != nil {
		return fmt.Errorf("scripts store %s: %w: %w", s.names.ScriptsStore(), api.ErrUnavailable, err)
	}
	info, err := store.GetInfo(ctx, ref.Key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return job.Fieldf("task.script", "script %s (sha256 %s) is not in the scripts store %s, where the workers read scripts; upload it first (`jetcron job create --script FILE` and `apply -f` do, client.UploadScript)",
			displayName(ref), ref.SHA256, s.names.ScriptsStore())
	}
	if err != nil {
		return fmt.Errorf("scripts store %s: %w: %w", s.names.ScriptsStore(), api.ErrUnavailable, err)
	}
	if info.Size != uint64(ref.Size) {
		return job.Fieldf("task.script.size", "the stored script %s is %d bytes; the job pins %d", ref.Key, info.Size, ref.Size)
	}
	if want, err := objectDigest(ref.SHA256); err != nil || info.Digest != want {
		return job.Fieldf("task.script.sha256", "the stored script %s does not have the digest the job pins (%s)", ref.Key, ref.SHA256)
	}
	return nil
}

// objectDigest is the digest the NATS object store records for content of
// the given sha256 hex digest.
func objectDigest(sha256Hex string) (string, error) {
	sum, err := hex.DecodeString(sha256Hex)
	if err != nil {
		return "", err
	}
	return "SHA-256=" + base64.URLEncoding.EncodeToString(sum), nil
}

func displayName(ref *job.ScriptRef) string {
	if ref.Name != "" {
		return fmt.Sprintf("%q", ref.Name)
	}
	return ref.Key
}
