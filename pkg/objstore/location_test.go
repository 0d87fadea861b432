package objstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/objstore"
)

func TestParseLocation(t *testing.T) {
	t.Parallel()
	ok := []struct {
		name, raw string
		want      objstore.Location
	}{
		{"Empty", "", objstore.Location{Scheme: "nats"}},
		{"NATS", "nats", objstore.Location{Scheme: "nats"}},
		{"BucketOnly", "s3://logs", objstore.Location{Scheme: "s3", Bucket: "logs", Endpoint: objstore.DefaultS3Endpoint, Secure: true, CreateBucket: true}},
		{"MinIO", "s3://jetcron/prod/eu?endpoint=127.0.0.1:9000&secure=false&region=eu-west-1",
			objstore.Location{Scheme: "s3", Bucket: "jetcron", Prefix: "prod/eu", Endpoint: "127.0.0.1:9000", Region: "eu-west-1", CreateBucket: true}},
		{"NoCreate", "s3://my.bucket-1/?create=false&endpoint=minio", objstore.Location{Scheme: "s3", Bucket: "my.bucket-1", Endpoint: "minio", Secure: true}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := objstore.ParseLocation(tc.raw)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			again, err := objstore.ParseLocation(got.String())
			require.NoError(t, err, "String() parses back: %s", got.String())
			require.Equal(t, got, again)
		})
	}

	bad := []struct {
		name, raw, mention string
	}{
		{"UnknownScheme", "ftp://bucket", `unknown scheme "ftp"`},
		{"GCS", "gs://bucket/x", `unknown scheme "gs"`},
		{"NoScheme", "/var/lib/jetcron", "unknown scheme"},
		{"UpperCaseBucket", "s3://Logs", "bucket"},
		{"ShortBucket", "s3://ab", "bucket"},
		{"IPBucket", "s3://10.0.0.1", "bucket"},
		{"CredentialsInURL", "s3://key:secret@bucket", "credentials do not belong"},
		{"TraversalPrefix", "s3://bucket/a/../../b", "prefix"},
		{"EncodedPrefix", "s3://bucket/%2e%2e/x", "prefix"},
		{"EndpointWithScheme", "s3://bucket?endpoint=http://minio:9000", "endpoint"},
		{"EndpointBadPort", "s3://bucket?endpoint=minio:99999", "port"},
		{"BadSecure", "s3://bucket?secure=maybe", "secure"},
		{"UnknownParam", "s3://bucket?endpiont=minio:9000", `unknown parameter "endpiont"`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := objstore.ParseLocation(tc.raw)
			require.Error(t, err)
			require.True(t, errors.Is(err, objstore.ErrBadLocation), err.Error())
			require.Contains(t, err.Error(), tc.mention)
		})
	}
}

func TestLocationKeyPrefix(t *testing.T) {
	t.Parallel()
	loc, err := objstore.ParseLocation("s3://b-1/team/a")
	require.NoError(t, err)
	require.Equal(t, "team/a/scripts/", loc.KeyPrefix(objstore.KindScripts))
	loc.Prefix = ""
	require.Equal(t, "logs/", loc.KeyPrefix(objstore.KindLogs))
}

func TestCredentialsFromEnv(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := objstore.CredentialsFromEnv(env("AWS_ACCESS_KEY_ID", "a", "AWS_SECRET_ACCESS_KEY", "b", "AWS_SESSION_TOKEN", "t", "MINIO_ROOT_USER", "x", "MINIO_ROOT_PASSWORD", "y"))
	require.NoError(t, err)
	require.Equal(t, objstore.Credentials{AccessKey: "a", SecretKey: "b", SessionToken: "t", Source: "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"}, c, "AWS variables win")
	c, err = objstore.CredentialsFromEnv(env("MINIO_ROOT_USER", "x", "MINIO_ROOT_PASSWORD", "y"))
	require.NoError(t, err)
	require.Equal(t, "x", c.AccessKey)
	require.Equal(t, "y", c.SecretKey)

	_, err = objstore.CredentialsFromEnv(env())
	require.ErrorIs(t, err, objstore.ErrNoCredentials)
	require.Contains(t, err.Error(), "AWS_ACCESS_KEY_ID")
	_, err = objstore.CredentialsFromEnv(env("AWS_ACCESS_KEY_ID", "a"))
	require.ErrorIs(t, err, objstore.ErrNoCredentials)
	require.True(t, strings.Contains(err.Error(), "only one"), err.Error())
}

func TestCredentialsFromFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("s3cr3t\n"), 0o600))
	env := map[string]string{"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY_FILE": secret}
	c, err := objstore.CredentialsFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, "id", c.AccessKey)
	require.Equal(t, "s3cr3t", c.SecretKey, "read from the file, without the newline")

	env["AWS_SECRET_ACCESS_KEY_FILE"] = filepath.Join(dir, "missing")
	_, err = objstore.CredentialsFromEnv(func(k string) string { return env[k] })
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Contains(t, err.Error(), "AWS_SECRET_ACCESS_KEY_FILE")
}
