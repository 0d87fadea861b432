package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Errors of an S3 store, each naming what is at fault in its message.
var (
	// ErrUnreachable means the S3 endpoint did not answer.
	ErrUnreachable = errors.New("s3 endpoint unreachable")
	// ErrCredentials means the endpoint rejected the credentials.
	ErrCredentials = errors.New("s3 credentials rejected")
	// ErrAccessDenied means the credentials are valid but may not do the
	// operation.
	ErrAccessDenied = errors.New("s3 access denied")
	// ErrNoBucket means the bucket does not exist (and was not created).
	ErrNoBucket = errors.New("s3 bucket does not exist")
)

// S3 is a Store on an S3-compatible service (AWS S3, MinIO, ...), through
// minio-go. A store is a view of one bucket under a key prefix; Sub returns
// a view under a deeper prefix on the same connection.
type S3 struct {
	client *minio.Client
	loc    Location
	creds  string // where the credentials came from, for messages
	prefix string // "" or ends with "/"
}

// s3DialTimeout bounds connecting to the endpoint.
const s3DialTimeout = 5 * time.Second

// NewS3 returns a store on the bucket of loc, at the bucket's root, signed
// with creds. It does no I/O; see Check.
func NewS3(loc Location, creds Credentials) (*S3, error) {
	if !loc.IsS3() {
		return nil, fmt.Errorf("%w: %s is not an s3:// location", ErrBadLocation, loc)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
	tr.DialContext = (&net.Dialer{Timeout: s3DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = time.Minute
	c, err := minio.New(loc.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(creds.AccessKey, creds.SecretKey, creds.SessionToken),
		Secure:     loc.Secure,
		Region:     loc.Region,
		Transport:  tr,
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBadLocation, loc, err)
	}
	return &S3{client: c, loc: loc, creds: creds.Source}, nil
}

// OpenS3 returns a checked store on the bucket of loc (see Check).
func OpenS3(ctx context.Context, loc Location, creds Credentials) (*S3, error) {
	s, err := NewS3(loc, creds)
	if err != nil {
		return nil, err
	}
	if err := s.Check(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Sub returns a view of the store whose keys live under prefix (relative
// to this view's own prefix).
func (s *S3) Sub(prefix string) *S3 {
	v := *s
	v.prefix = s.prefix + strings.Trim(prefix, "/") + "/"
	return &v
}

// Bucket returns the store's bucket.
func (s *S3) Bucket() string { return s.loc.Bucket }

// checkTimeout bounds Check when its context has no deadline.
const checkTimeout = 20 * time.Second

// Check reaches the endpoint, verifies the credentials, and makes sure the
// bucket exists: it creates a missing bucket if the location allows it
// (the default), else fails with ErrNoBucket. Each failure names the
// endpoint, bucket or credentials at fault.
func (s *S3) Check(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, checkTimeout)
		defer cancel()
	}
	// A listing (GET) answers with the precise error code; a HEAD would
	// report wrong credentials as a bare 403.
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	var err error
	for obj := range s.client.ListObjects(lctx, s.loc.Bucket, minio.ListObjectsOptions{Prefix: s.prefix, MaxKeys: 1}) {
		err = obj.Err
		break
	}
	stop()
	if err == nil {
		return nil
	}
	err = s.explain("open", "", err)
	if !errors.Is(err, ErrNoBucket) {
		return err
	}
	if !s.loc.CreateBucket {
		return s.noBucket()
	}
	return s.createBucket(ctx)
}

// noBucket is the error of a missing bucket the store may not create.
func (s *S3) noBucket() error {
	return fmt.Errorf("%w: bucket %s at %s (create it, or drop create=false from --store to let jetcron create it)", ErrNoBucket, s.loc.Bucket, s.loc.Endpoint)
}

func (s *S3) createBucket(ctx context.Context) error {
	err := s.client.MakeBucket(ctx, s.loc.Bucket, minio.MakeBucketOptions{Region: s.loc.Region})
	if err == nil {
		return nil
	}
	var er minio.ErrorResponse
	if errors.As(err, &er) && (er.Code == "BucketAlreadyOwnedByYou" || er.Code == "BucketAlreadyExists") {
		return nil // created meanwhile by another role
	}
	err = s.explain("create bucket", "", err)
	return fmt.Errorf("%w: bucket %s at %s does not exist and cannot be created: %w", ErrNoBucket, s.loc.Bucket, s.loc.Endpoint, err)
}

// Put stores r under key.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	full := s.prefix + key
	if err := ValidateKey(full); err != nil {
		return "", err
	}
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	if size < 0 {
		opts.PartSize = 16 << 20 // bounds the memory of an upload of unknown size
	}
	_, err := s.client.PutObject(ctx, s.loc.Bucket, full, r, size, opts)
	if err != nil {
		err = s.explain("put", full, err)
		if !errors.Is(err, ErrNoBucket) {
			return "", err
		}
		if !s.loc.CreateBucket {
			return "", s.noBucket()
		}
		// A store used without Check (a client uploading a script) creates
		// a missing bucket on its first write, if allowed.
		seeker, ok := r.(io.Seeker)
		if !ok {
			return "", err
		}
		if err := s.createBucket(ctx); err != nil {
			return "", err
		}
		if _, err := seeker.Seek(0, io.SeekStart); err != nil {
			return "", fmt.Errorf("put %s: %w", s.URL(key), err)
		}
		if _, err := s.client.PutObject(ctx, s.loc.Bucket, full, r, size, opts); err != nil {
			return "", s.explain("put", full, err)
		}
	}
	return s.URL(key), nil
}

// Get opens the object under key; it returns ErrNotFound if there is none.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	full := s.prefix + key
	if err := ValidateKey(full); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.loc.Bucket, full, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.explain("get", full, err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s.explain("get", full, err)
	}
	return obj, nil
}

// Keys lists the keys under the view's prefix (relative to it), in order.
func (s *S3) Keys(ctx context.Context) ([]string, error) {
	var out []string
	for obj := range s.client.ListObjects(ctx, s.loc.Bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, s.explain("list", s.prefix, obj.Err)
		}
		out = append(out, strings.TrimPrefix(obj.Key, s.prefix))
	}
	return out, nil
}

// URL returns s3://<bucket>/<prefix><key>.
func (s *S3) URL(key string) string { return "s3://" + s.loc.Bucket + "/" + s.prefix + key }

// explain turns a minio-go error into one that names what is at fault.
func (s *S3) explain(op, key string, err error) error {
	what := "s3://" + s.loc.Bucket + "/" + key
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		switch er.Code {
		case "NoSuchKey":
			return fmt.Errorf("%s: %w", what, ErrNotFound)
		case "NoSuchBucket":
			return fmt.Errorf("%w: bucket %s at %s", ErrNoBucket, s.loc.Bucket, s.loc.Endpoint)
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "InvalidClientTokenId":
			return fmt.Errorf("%w by %s (credentials from %s): %s", ErrCredentials, s.loc.Endpoint, s.creds, er.Message)
		case "XMinioServerNotInitialized", "SlowDown", "ServiceUnavailable":
			return fmt.Errorf("%w: %s is not ready: %s", ErrUnreachable, s.loc.Endpoint, er.Message)
		case "AccessDenied", "AllAccessDisabled":
			return fmt.Errorf("%w: %s %s at %s with the credentials from %s", ErrAccessDenied, op, what, s.loc.Endpoint, s.creds)
		}
		return fmt.Errorf("%s %s at %s: %s (%s)", op, what, s.loc.Endpoint, er.Message, er.Code)
	}
	var ue *url.Error
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s %s: %w", op, what, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ue), errors.As(err, &ne):
		if strings.Contains(err.Error(), "HTTP response to HTTPS client") {
			return fmt.Errorf("%w: %s speaks plain HTTP; add secure=false to --store", ErrUnreachable, s.loc.Endpoint)
		}
		return fmt.Errorf("%w: %s (secure=%t): %s %s: %v", ErrUnreachable, s.loc.Endpoint, s.loc.Secure, op, what, err)
	}
	return fmt.Errorf("%s %s at %s: %w", op, what, s.loc.Endpoint, err)
}

var _ Store = (*S3)(nil)
