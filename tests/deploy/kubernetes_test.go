package deploy_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// manifests holds every object of deploy/kubernetes, decoded strictly.
type manifests struct {
	deployments map[string]*appsv1.Deployment
	jobs        map[string]*batchv1.Job
	services    map[string]*corev1.Service
	secrets     map[string]*corev1.Secret
	namespaces  map[string]*corev1.Namespace
	pdbs        map[string]*policyv1.PodDisruptionBudget
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	m := manifests{deployments: map[string]*appsv1.Deployment{}, jobs: map[string]*batchv1.Job{}, services: map[string]*corev1.Service{},
		secrets: map[string]*corev1.Secret{}, namespaces: map[string]*corev1.Namespace{}, pdbs: map[string]*policyv1.PodDisruptionBudget{}}
	files, err := filepath.Glob(filepath.Join(deployDir, "kubernetes", "*.yaml"))
	require.NoError(t, err)
	for _, f := range files {
		base := filepath.Base(f)
		if base == "kustomization.yaml" || base == "nats-values.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for i, doc := range splitYAML(data) {
			where := fmt.Sprintf("%s document %d", base, i+1)
			var tm metav1.TypeMeta
			require.NoError(t, yaml.Unmarshal(doc, &tm), where)
			strict := func(into any) {
				require.NoError(t, yaml.UnmarshalStrict(doc, into), "%s: %s/%s", where, tm.APIVersion, tm.Kind)
			}
			switch tm.APIVersion + "/" + tm.Kind {
			case "apps/v1/Deployment":
				var o appsv1.Deployment
				strict(&o)
				m.deployments[o.Name] = &o
			case "batch/v1/Job":
				var o batchv1.Job
				strict(&o)
				m.jobs[o.Name] = &o
			case "v1/Service":
				var o corev1.Service
				strict(&o)
				m.services[o.Name] = &o
			case "v1/Secret":
				var o corev1.Secret
				strict(&o)
				m.secrets[o.Name] = &o
			case "v1/Namespace":
				var o corev1.Namespace
				strict(&o)
				m.namespaces[o.Name] = &o
			case "policy/v1/PodDisruptionBudget":
				var o policyv1.PodDisruptionBudget
				strict(&o)
				m.pdbs[o.Name] = &o
			default:
				t.Fatalf("%s: unexpected kind %s/%s", where, tm.APIVersion, tm.Kind)
			}
		}
	}
	return m
}

// podSpecs returns every pod template by owner name.
func (m manifests) podSpecs() map[string]*corev1.PodTemplateSpec {
	out := map[string]*corev1.PodTemplateSpec{}
	for n, d := range m.deployments {
		out[n] = &d.Spec.Template
	}
	for n, j := range m.jobs {
		out[n] = &j.Spec.Template
	}
	return out
}

func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	spec := loadCLI(t)
	m := loadManifests(t)
	require.Contains(t, m.namespaces, "jetcron")
	for _, name := range []string{"jetcron-scheduler", "jetcron-worker", "jetcron-web"} {
		require.Contains(t, m.deployments, name)
	}
	require.Contains(t, m.jobs, "jetcron-ensure")
	require.Equal(t, int32(2), *m.deployments["jetcron-scheduler"].Spec.Replicas, "a leader and a standby")

	for owner, pod := range m.podSpecs() {
		where := owner
		sc := pod.Spec.SecurityContext
		require.NotNil(t, sc, where)
		require.Len(t, pod.Spec.Containers, 1, where)
		c := pod.Spec.Containers[0]
		if c.Args[0] == "worker" {
			// Root only to give each run a uid of its own, with the
			// capabilities that takes and nothing else.
			require.Zero(t, *sc.RunAsUser, "%s runs as root, to switch its runs' uid", where)
			require.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop, where)
			require.ElementsMatch(t, []corev1.Capability{"CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID"}, c.SecurityContext.Capabilities.Add, where)
		} else {
			require.True(t, sc.RunAsNonRoot != nil && *sc.RunAsNonRoot, "%s runs as non-root", where)
			require.NotZero(t, *sc.RunAsUser, where)
		}
		require.True(t, strings.HasPrefix(c.Image, "ghcr.io/jetcron/jetcron:"), where)
		spec.checkArgs(t, where, c.Args)
		require.False(t, c.Resources.Requests.Cpu().IsZero(), "%s requests CPU", where)
		require.False(t, c.Resources.Requests.Memory().IsZero(), "%s requests memory", where)
		require.False(t, c.Resources.Limits.Memory().IsZero(), "%s limits memory", where)
		require.NotNil(t, c.SecurityContext, where)
		require.False(t, *c.SecurityContext.AllowPrivilegeEscalation, where)

		env := map[string]corev1.EnvVar{}
		for _, e := range c.Env {
			env[e.Name] = e
			spec.checkEnv(t, where, e.Name)
			if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
				sec, ok := m.secrets[ref.SecretKeyRef.Name]
				require.True(t, ok, "%s: %s reads secret %s, which secret.example.yaml defines", where, e.Name, ref.SecretKeyRef.Name)
				require.Contains(t, sec.StringData, ref.SecretKeyRef.Key, "%s: %s reads key %s", where, e.Name, ref.SecretKeyRef.Key)
			}
		}
		secretVars := map[string]bool{}
		for _, ef := range c.EnvFrom {
			sec, ok := m.secrets[ef.SecretRef.Name]
			require.True(t, ok, where)
			for k := range sec.StringData {
				spec.checkEnv(t, where+" (from secret "+sec.Name+")", k)
				secretVars[k] = true
			}
		}
		// Each role gets only its own secrets.
		switch c.Args[0] {
		case "worker":
			require.False(t, secretVars["JETCRON_WEB_AUTH_TOKEN"], "%s gets no web token", where)
			require.NotContains(t, env, "JETCRON_WEB_AUTH_TOKEN", "%s gets no web token", where)
			require.Contains(t, env, "AWS_SECRET_ACCESS_KEY_FILE", "%s writes scripts' logs", where)
		case "web":
			require.True(t, secretVars["JETCRON_WEB_AUTH_TOKEN"], where)
		default:
			require.False(t, secretVars["AWS_SECRET_ACCESS_KEY"] || secretVars["JETCRON_WEB_AUTH_TOKEN"], "%s gets no object storage key nor web token", where)
		}
		if c.Args[0] != "worker" && secretVars["AWS_ACCESS_KEY_ID"] {
			for _, ef := range c.EnvFrom {
				require.NotEqual(t, "jetcron-store-worker", ef.SecretRef.Name, "%s does not get the workers' read-write key", where)
			}
		}
		require.Equal(t, "nats://nats.nats.svc:4222", env["JETCRON_NATS_URL"].Value, where)
		user := env["JETCRON_NATS_USER"].Value
		require.NotEmpty(t, user, where)
		if c.Args[0] == "worker" {
			// The worker's secrets are files only root may read.
			requireSecretFile(t, pod.Spec, c, env["JETCRON_NATS_PASSWORD_FILE"].Value, "jetcron-nats-users", user)
			requireSecretFile(t, pod.Spec, c, env["AWS_SECRET_ACCESS_KEY_FILE"].Value, "jetcron-store-worker", "AWS_SECRET_ACCESS_KEY")
			require.NotContains(t, env, "JETCRON_NATS_PASSWORD", where)
		} else {
			require.Equal(t, user, env["JETCRON_NATS_PASSWORD"].ValueFrom.SecretKeyRef.Key, "%s's password is its user's", where)
		}
		if user != "admin" {
			require.Equal(t, "_INBOX_"+user, env["JETCRON_NATS_INBOX_PREFIX"].Value, where)
		}

		// Deployments of long-running roles: probes on the port they serve.
		if _, ok := m.deployments[owner]; !ok {
			continue
		}
		require.NotNil(t, c.LivenessProbe, "%s has a liveness probe", where)
		require.NotNil(t, c.ReadinessProbe, "%s has a readiness probe", where)
		require.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path, where)
		require.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path, where)
		port := probePort(t, c, c.ReadinessProbe.HTTPGet.Port)
		require.Equal(t, port, probePort(t, c, c.LivenessProbe.HTTPGet.Port), where)
		served := env["JETCRON_HEALTH_ADDR"].Value
		if c.Args[0] == "web" {
			served = c.Args[slices.Index(c.Args, "--http")+1]
		}
		_, p, err := net.SplitHostPort(served)
		require.NoError(t, err, "%s serves its probes", where)
		require.Equal(t, fmt.Sprint(port), p, "%s probes the port it serves", where)
		if c.Args[0] == "scheduler" {
			require.Contains(t, c.Args, "--skip-ensure", where)
		}
		if c.Args[0] == "worker" {
			require.GreaterOrEqual(t, *pod.Spec.TerminationGracePeriodSeconds, int64(31), "the worker's pod outlives its 30s shutdown grace")
		}
	}

	// Selectors select their own pods.
	for name, d := range m.deployments {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		require.NoError(t, err)
		require.True(t, sel.Matches(labelSet(d.Spec.Template.Labels)), "%s selects its pods", name)
	}
	for name, pdb := range m.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		require.NoError(t, err)
		found := false
		for _, d := range m.deployments {
			found = found || sel.Matches(labelSet(d.Spec.Template.Labels))
		}
		require.True(t, found, "budget %s covers a deployment", name)
	}
	for name, svc := range m.services {
		found := false
		for _, d := range m.deployments {
			if isSubset(svc.Spec.Selector, d.Spec.Template.Labels) {
				found = true
				for _, p := range svc.Spec.Ports {
					probePort(t, d.Spec.Template.Spec.Containers[0], p.TargetPort)
				}
			}
		}
		require.True(t, found, "service %s selects a deployment", name)
	}

	// The kustomization lists files that exist.
	var kust struct {
		Resources []string `json:"resources"`
	}
	require.NoError(t, yaml.Unmarshal(readAll(t, "kubernetes", "kustomization.yaml"), &kust))
	require.NotEmpty(t, kust.Resources)
	for _, r := range kust.Resources {
		_, err := os.Stat(filepath.Join(deployDir, "kubernetes", r))
		require.NoError(t, err, "kustomization resource %s", r)
	}
}

// probePort resolves a probe or service port (a number or a named
// container port) and checks the container declares it.
func probePort(t *testing.T, c corev1.Container, p intstr.IntOrString) int32 {
	t.Helper()
	for _, cp := range c.Ports {
		if p.Type == intstr.String && cp.Name == p.StrVal || p.Type == intstr.Int && cp.ContainerPort == p.IntVal {
			return cp.ContainerPort
		}
	}
	t.Fatalf("container %s declares no port %s", c.Name, p.String())
	return 0
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool              { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string            { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) { v, ok := l[k]; return v, ok }

func isSubset(sub, of map[string]string) bool {
	for k, v := range sub {
		if of[k] != v {
			return false
		}
	}
	return len(sub) > 0
}

// TestNATSChartValues checks the values for the official NATS chart: a
// replicated cluster with file storage that fsyncs, jetcron's accounts
// mounted where the configuration includes them, and every password the
// accounts read taken from the users' secret.
func TestNATSChartValues(t *testing.T) {
	t.Parallel()
	var v struct {
		Config struct {
			Cluster struct {
				Enabled  bool `json:"enabled"`
				Replicas int  `json:"replicas"`
			} `json:"cluster"`
			JetStream struct {
				Enabled   bool `json:"enabled"`
				FileStore struct {
					Enabled bool `json:"enabled"`
					PVC     struct {
						Enabled bool   `json:"enabled"`
						Size    string `json:"size"`
					} `json:"pvc"`
				} `json:"fileStore"`
			} `json:"jetstream"`
			Merge map[string]any `json:"merge"`
		} `json:"config"`
		Container struct {
			Image struct {
				Tag string `json:"tag"`
			} `json:"image"`
			Env   map[string]corev1.EnvVar `json:"env"`
			Patch []struct {
				Op    string             `json:"op"`
				Path  string             `json:"path"`
				Value corev1.VolumeMount `json:"value"`
			} `json:"patch"`
		} `json:"container"`
		PodTemplate struct {
			Patch []struct {
				Op    string        `json:"op"`
				Path  string        `json:"path"`
				Value corev1.Volume `json:"value"`
			} `json:"patch"`
		} `json:"podTemplate"`
	}
	require.NoError(t, yaml.Unmarshal(readAll(t, "kubernetes", "nats-values.yaml"), &v))
	c := v.Config
	require.True(t, c.Cluster.Enabled)
	require.Equal(t, 3, c.Cluster.Replicas)
	require.True(t, c.JetStream.Enabled && c.JetStream.FileStore.Enabled && c.JetStream.FileStore.PVC.Enabled)
	require.NotEmpty(t, c.JetStream.FileStore.PVC.Size)
	require.Equal(t, "always", c.Merge["jetstream"].(map[string]any)["sync_interval"])
	include := c.Merge["$include"].(string)
	require.Regexp(t, `^2\.1[2-9]`, v.Container.Image.Tag)

	require.Len(t, v.Container.Patch, 1)
	mount := v.Container.Patch[0].Value
	require.Equal(t, filepath.Join("/etc/nats-config", filepath.Dir(include)), mount.MountPath, "the include's directory is mounted")
	require.Equal(t, "accounts.conf", filepath.Base(include))
	require.Len(t, v.PodTemplate.Patch, 1)
	require.Equal(t, mount.Name, v.PodTemplate.Patch[0].Value.Name)
	require.NotNil(t, v.PodTemplate.Patch[0].Value.ConfigMap)

	for _, name := range natsPasswordVars(t) {
		e, ok := v.Container.Env[name]
		require.True(t, ok, "the NATS pods get %s", name)
		require.Equal(t, "jetcron-nats-users", e.ValueFrom.SecretKeyRef.Name, name)
	}
}

// requireSecretFile requires that path is a file of the container's that
// holds key of secret, readable by its owner only.
func requireSecretFile(t *testing.T, pod corev1.PodSpec, c corev1.Container, path, secret, key string) {
	t.Helper()
	require.NotEmpty(t, path, "%s: the file of %s/%s", c.Name, secret, key)
	for _, vm := range c.VolumeMounts {
		if !strings.HasPrefix(path, vm.MountPath+"/") {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != vm.Name || v.Projected == nil {
				continue
			}
			require.NotNil(t, v.Projected.DefaultMode, v.Name)
			require.Equal(t, int32(0o400), *v.Projected.DefaultMode, "%s: only the owner may read %s", c.Name, path)
			for _, src := range v.Projected.Sources {
				if src.Secret == nil || src.Secret.Name != secret {
					continue
				}
				for _, it := range src.Secret.Items {
					if it.Key == key && vm.MountPath+"/"+it.Path == path {
						return
					}
				}
			}
		}
	}
	t.Fatalf("%s: %s is not key %s of secret %s", c.Name, path, key, secret)
}
