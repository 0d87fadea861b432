// Package miniotest runs a real MinIO server for tests: on a random
// loopback port with its data in t.TempDir(), ready when Start returns,
// stopped when the test ends. No fake S3.
//
// The server binary is $(go env GOPATH)/bin/minio (or minio on PATH), built
// from its Go module at the version pinned in Taskfile.yml by
// `go tool task tools`, which .ci/run calls. Without it a test fails in CI
// (CI=true) and is skipped, with that hint, on a developer's machine.
package miniotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/jetcron/jetcron/pkg/objstore"
)

// Root credentials of every test server.
const (
	User     = "jetcron-test"
	Password = "jetcron-test-secret"
)

// Server is a running MinIO server.
type Server struct {
	// Endpoint is HOST:PORT of the S3 API (plain HTTP).
	Endpoint string
	// Dir holds the server's data.
	Dir string

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// Binary returns the path of the MinIO server binary, or an error that says
// how to install it.
func Binary() (string, error) {
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "minio")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	return "", errors.New("the MinIO server binary was not found in $(go env GOPATH)/bin or on PATH; install it with `go tool task tools`")
}

// Start runs a MinIO server for the test. Without the binary it fails the
// test in CI (CI=true) and skips it elsewhere.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("miniotest: %v", err)
		}
		t.Skipf("miniotest: %v", err)
	}
	var lastErr error
	for range 3 { // a free port can be taken between probing and binding
		s, err := start(bin, t.TempDir())
		if err == nil {
			t.Cleanup(s.stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("miniotest: %v", lastErr)
	return nil
}

func start(bin, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	console, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Endpoint: "127.0.0.1:" + port, Dir: dir, out: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin, "server", "--quiet", "--address", s.Endpoint, "--console-address", "127.0.0.1:"+console, filepath.Join(dir, "data"))
	s.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"MINIO_ROOT_USER=" + User,
		"MINIO_ROOT_PASSWORD=" + Password,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=on",
	}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = procAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(30 * time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; server output:\n%s", err, s.out.String())
	}
	return s, nil
}

func (s *Server) waitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	hc := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("minio exited before it was ready")
		default:
		}
		if s.answers(hc) {
			return nil
		}
		select {
		case <-s.done:
		case <-time.After(50 * time.Millisecond): // polling interval
		}
	}
	return fmt.Errorf("minio not ready at %s within %s", s.Endpoint, d)
}

// answers reports whether the server is ready and serves S3 requests: the
// health check passes before the object layer is initialized, while an
// anonymous listing answers 503 until it is.
func (s *Server) answers(hc *http.Client) bool {
	for _, path := range []string{"/minio/health/ready", "/"} {
		resp, err := hc.Get("http://" + s.Endpoint + path)
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable || path != "/" && resp.StatusCode != http.StatusOK {
			return false
		}
	}
	return s.iamReady()
}

// iamReady reports whether the server checks credentials other than the
// root's: until its IAM sub-system is initialized it answers them
// XMinioIAMNotInitialized instead of refusing them.
func (s *Server) iamReady() bool {
	mc, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4("not-a-user", "not-a-secret-key", "")})
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = mc.ListBuckets(ctx)
	code := minio.ToErrorResponse(err).Code
	return err != nil && code != "" && code != "XMinioIAMNotInitialized" && code != "XMinioServerNotInitialized"
}

func (s *Server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// Getenv is an os.Getenv-like lookup that holds the server's credentials in
// the MINIO_ROOT_USER style, for objstore.CredentialsFromEnv and the CLI.
func (s *Server) Getenv(key string) string {
	switch key {
	case "MINIO_ROOT_USER":
		return User
	case "MINIO_ROOT_PASSWORD":
		return Password
	}
	return ""
}

// Credentials returns the server's root credentials.
func (s *Server) Credentials() objstore.Credentials {
	return objstore.Credentials{AccessKey: User, SecretKey: Password, Source: "miniotest"}
}

// Location returns the --store value of bucket (and prefix, if not empty)
// on this server.
func (s *Server) Location(bucket, prefix string) string {
	u := url.URL{Scheme: "s3", Host: bucket, RawQuery: "endpoint=" + s.Endpoint + "&secure=false"}
	if prefix != "" {
		u.Path = "/" + prefix
	}
	return u.String()
}

// Open returns a checked store on bucket (created if missing) at its root.
func (s *Server) Open(t testing.TB, bucket string) *objstore.S3 {
	t.Helper()
	loc, err := objstore.ParseLocation(s.Location(bucket, ""))
	if err != nil {
		t.Fatalf("miniotest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := objstore.OpenS3(ctx, loc, s.Credentials())
	if err != nil {
		t.Fatalf("miniotest: %v", err)
	}
	return st
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p, nil
}

// syncBuffer collects the server's output for failure reports.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
