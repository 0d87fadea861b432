package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// UploadScript stores the file at path in the NATS object store
// <ns>-scripts under its content address and returns the reference a job
// pins. Scripts always live there, whatever store the workers keep logs
// in, so a client needs nothing but NATS: the workers read them from there
// and the API refuses a job whose script is not there.
func (c *Client) UploadScript(ctx context.Context, path string) (*job.ScriptRef, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, job.Fieldf("task.script", "%v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, job.Fieldf("task.script", "%v", err)
	}
	if st.IsDir() {
		return nil, job.Fieldf("task.script", "%s is a directory", path)
	}
	if st.Size() > job.MaxScriptBytes {
		return nil, job.Fieldf("task.script", "%s is %d bytes; at most %d are allowed", path, st.Size(), job.MaxScriptBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, job.MaxScriptBytes+1))
	if err != nil {
		return nil, job.Fieldf("task.script", "%v", err)
	}
	return c.UploadScriptBytes(ctx, filepath.Base(path), data)
}

// UploadScriptBytes stores a script's content and returns its reference.
func (c *Client) UploadScriptBytes(ctx context.Context, name string, data []byte) (*job.ScriptRef, error) {
	if len(data) > job.MaxScriptBytes {
		return nil, job.Fieldf("task.script", "%s is %d bytes; at most %d are allowed", name, len(data), job.MaxScriptBytes)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	store, err := c.scriptStore(ctx)
	if err != nil {
		return nil, err
	}
	key := job.ScriptKey(digest)
	if _, err := store.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return nil, fmt.Errorf("upload script %s: %w", name, err)
	}
	return &job.ScriptRef{Name: name, Key: key, SHA256: digest, Size: int64(len(data))}, nil
}

func (c *Client) scriptStore(ctx context.Context) (objstore.Store, error) {
	c.scriptMu.Lock() // concurrent handlers upload through one client
	defer c.scriptMu.Unlock()
	if c.scripts != nil {
		return c.scripts, nil
	}
	s, err := objstore.OpenNATS(ctx, c.js, c.names.ScriptsStore())
	if err != nil {
		return nil, err
	}
	c.scripts = s
	return s, nil
}
