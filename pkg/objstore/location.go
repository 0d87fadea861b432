package objstore

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// ErrBadLocation means a store location (--store) cannot be used as given.
var ErrBadLocation = errors.New("invalid store location")

// Location says where scripts and logs are kept, as given with --store:
//
//	nats                                     the NATS object stores of the namespace (default)
//	s3://BUCKET[/PREFIX]?endpoint=HOST:PORT&secure=false&region=R&create=false
//
// Scripts go under PREFIX/scripts/ and logs under PREFIX/logs/ of BUCKET.
// Credentials are never part of a location (a flag shows in ps): they come
// from the environment, see Credentials.
type Location struct {
	// Scheme is "nats" or "s3".
	Scheme string
	// Bucket is the S3 bucket.
	Bucket string
	// Prefix is the key prefix inside the bucket, without slashes at
	// either end; empty means the bucket's root.
	Prefix string
	// Endpoint is HOST:PORT of the S3 service. Defaults to s3.amazonaws.com.
	Endpoint string
	// Secure uses HTTPS. Defaults to true.
	Secure bool
	// Region is the bucket's region; empty lets the client discover it.
	Region string
	// CreateBucket creates the bucket when it does not exist. Defaults to
	// true; create=false makes a missing bucket an error.
	CreateBucket bool
}

// DefaultS3Endpoint is the endpoint of an s3:// location without one.
const DefaultS3Endpoint = "s3.amazonaws.com"

// Kinds of objects, each under its own prefix of an S3 location.
const (
	KindScripts = "scripts"
	KindLogs    = "logs"
)

// bucketRE is the S3 bucket naming rule (3-63 characters of lower-case
// letters, digits, dots and hyphens, starting and ending with a letter or
// digit).
var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ParseLocation reads a --store value. The empty string and "nats" select
// the NATS object stores.
func ParseLocation(raw string) (Location, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "nats" || raw == "nats://" {
		return Location{Scheme: "nats"}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("%w %q: %v", ErrBadLocation, raw, err)
	}
	if u.Scheme != "s3" {
		scheme := u.Scheme
		if scheme == "" {
			scheme = raw
		}
		return Location{}, fmt.Errorf("%w %q: unknown scheme %q (use s3://BUCKET[/PREFIX]?endpoint=HOST:PORT, or nats for the NATS object store)", ErrBadLocation, raw, scheme)
	}
	if u.User != nil {
		return Location{}, fmt.Errorf("%w: credentials do not belong in the location (they would show in ps); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", ErrBadLocation)
	}
	loc := Location{Scheme: "s3", Bucket: u.Host, Endpoint: DefaultS3Endpoint, Secure: true, CreateBucket: true}
	if !bucketRE.MatchString(loc.Bucket) || strings.Contains(loc.Bucket, "..") || net.ParseIP(loc.Bucket) != nil {
		return Location{}, fmt.Errorf("%w %q: bucket %q must be 3-63 characters of lower-case letters, digits, '.' and '-'", ErrBadLocation, raw, loc.Bucket)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if err := ValidateKey(p); err != nil {
			return Location{}, fmt.Errorf("%w %q: prefix: %v", ErrBadLocation, raw, err)
		}
		loc.Prefix = p
	}
	if u.Fragment != "" {
		return Location{}, fmt.Errorf("%w %q: unexpected #%s", ErrBadLocation, raw, u.Fragment)
	}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "endpoint":
			if err := checkEndpoint(v); err != nil {
				return Location{}, fmt.Errorf("%w %q: endpoint %q %v", ErrBadLocation, raw, v, err)
			}
			loc.Endpoint = v
		case "secure", "create":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Location{}, fmt.Errorf("%w %q: %s=%q is not true or false", ErrBadLocation, raw, k, v)
			}
			if k == "secure" {
				loc.Secure = b
			} else {
				loc.CreateBucket = b
			}
		case "region":
			loc.Region = v
		default:
			return Location{}, fmt.Errorf("%w %q: unknown parameter %q (known: endpoint, secure, region, create)", ErrBadLocation, raw, k)
		}
	}
	return loc, nil
}

// checkEndpoint accepts HOST or HOST:PORT (no scheme, no path).
func checkEndpoint(v string) error {
	if v == "" || strings.ContainsAny(v, "/ @?#") {
		return errors.New("is not HOST[:PORT] (no scheme or path; use secure=false for http)")
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		if strings.Contains(v, ":") {
			return errors.New("is not HOST[:PORT]")
		}
		return nil
	}
	if host == "" {
		return errors.New("has no host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("has an invalid port %q", port)
	}
	return nil
}

// IsS3 reports whether the location is an S3 bucket.
func (l Location) IsS3() bool { return l.Scheme == "s3" }

// KeyPrefix returns the prefix, inside the bucket, of objects of a kind
// (KindScripts, KindLogs): "PREFIX/kind/".
func (l Location) KeyPrefix(kind string) string {
	if l.Prefix == "" {
		return kind + "/"
	}
	return l.Prefix + "/" + kind + "/"
}

// String returns the location in --store form (it never holds secrets).
func (l Location) String() string {
	if !l.IsS3() {
		return "nats"
	}
	var b strings.Builder
	b.WriteString("s3://" + l.Bucket)
	if l.Prefix != "" {
		b.WriteString("/" + l.Prefix)
	}
	b.WriteString("?endpoint=" + l.Endpoint)
	if !l.Secure {
		b.WriteString("&secure=false")
	}
	if l.Region != "" {
		b.WriteString("&region=" + url.QueryEscape(l.Region))
	}
	if !l.CreateBucket {
		b.WriteString("&create=false")
	}
	return b.String()
}

// Credentials are the keys an S3 store signs its requests with.
type Credentials struct {
	AccessKey    string
	SecretKey    string
	SessionToken string
	// Source names the environment variables the keys came from, for
	// error messages.
	Source string
}

// ErrNoCredentials means the environment holds no S3 credentials.
var ErrNoCredentials = errors.New("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or MINIO_ROOT_USER and MINIO_ROOT_PASSWORD) in the environment")

// CredentialsFromEnv reads S3 credentials through getenv (os.Getenv in a
// process): AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (with an optional
// AWS_SESSION_TOKEN), else MINIO_ROOT_USER/MINIO_ROOT_PASSWORD. Each may
// instead be given as a file named by the variable with _FILE appended
// (AWS_SECRET_ACCESS_KEY_FILE=/run/secrets/s3-secret), which keeps the
// secret out of the environment; the variable itself wins over its file.
func CredentialsFromEnv(getenv func(string) string) (Credentials, error) {
	var firstErr error
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		path := getenv(name + "_FILE")
		if path == "" {
			return ""
		}
		b, err := os.ReadFile(path)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimRight(string(b), "\r\n")
	}
	creds, err := credentialsFrom(get)
	if firstErr != nil {
		return Credentials{}, firstErr
	}
	return creds, err
}

func credentialsFrom(getenv func(string) string) (Credentials, error) {
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" || secret != "" {
		if id == "" || secret == "" {
			return Credentials{}, fmt.Errorf("%w (only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set)", ErrNoCredentials)
		}
		return Credentials{AccessKey: id, SecretKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN"), Source: "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"}, nil
	}
	if id, secret := getenv("MINIO_ROOT_USER"), getenv("MINIO_ROOT_PASSWORD"); id != "" || secret != "" {
		if id == "" || secret == "" {
			return Credentials{}, fmt.Errorf("%w (only one of MINIO_ROOT_USER and MINIO_ROOT_PASSWORD is set)", ErrNoCredentials)
		}
		return Credentials{AccessKey: id, SecretKey: secret, Source: "MINIO_ROOT_USER/MINIO_ROOT_PASSWORD"}, nil
	}
	return Credentials{}, ErrNoCredentials
}
