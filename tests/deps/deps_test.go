// Package deps_test checks the package dependency rules of STYLE.md §2
// against the import graph that `go list` reports:
//
//   - the roles scheduler/, worker/, client/ and web/ never import one
//     another (a package of one role imports no package of another);
//   - pkg/ imports no role and nothing under cmd/;
//   - nothing outside cmd/ and tests/ imports cmd/.
//
// The role rule reads the packages' own imports, not their tests': a
// role's integration tests run the other roles (a client's tests need a
// scheduler to answer them), which is what tests are for. The other rules
// read tests' imports too.
package deps_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/jetcron/jetcron"

// roles are the top-level packages that are deployed on their own.
var roles = []string{"scheduler", "worker", "client", "web"}

// exempt lists the role-to-role imports that are allowed, each with why.
var exempt = map[[2]string]string{
	// The web role is an HTTP face over the Go client: it reaches the API,
	// the events stream and the stores through client.Client, as any other
	// caller does, so it adds no second way to talk to NATS. Depending on
	// client is its design; scheduler and worker stay out of its reach.
	{"web", "client"}: "web is built on the Go client",
}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// packages lists the module's packages with their imports.
func packages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// rel returns path relative to the module ("" for the module itself), and
// whether it is in the module.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

// under reports whether the module-relative path r is dir or inside it.
func under(r, dir string) bool { return r == dir || strings.HasPrefix(r, dir+"/") }

// roleOf returns the role a module-relative path belongs to, or "".
func roleOf(r string) string {
	for _, role := range roles {
		if under(r, role) {
			return role
		}
	}
	return ""
}

func TestDependencyRules(t *testing.T) {
	t.Parallel()
	var problems []string
	for _, p := range packages(t) {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		all := slices.Concat(p.Imports, p.TestImports, p.XTestImports)
		if role := roleOf(from); role != "" {
			for _, imp := range p.Imports {
				to, ok := rel(imp)
				if !ok {
					continue
				}
				if other := roleOf(to); other != "" && other != role {
					if _, ok := exempt[[2]string{role, other}]; !ok {
						problems = append(problems, p.ImportPath+" imports "+imp+": the roles "+role+" and "+other+" never import each other")
					}
				}
			}
		}
		if under(from, "pkg") {
			for _, imp := range all {
				to, ok := rel(imp)
				if !ok {
					continue
				}
				if roleOf(to) != "" || under(to, "cmd") {
					problems = append(problems, p.ImportPath+" imports "+imp+": pkg/ imports no role and nothing under cmd/")
				}
			}
		}
		if !under(from, "cmd") && !under(from, "tests") {
			for _, imp := range all {
				if to, ok := rel(imp); ok && under(to, "cmd") {
					problems = append(problems, p.ImportPath+" imports "+imp+": only tests/ may import cmd/")
				}
			}
		}
	}
	slices.Sort(problems)
	for _, pr := range slices.Compact(problems) {
		t.Error(pr)
	}
}

// TestRulesSeeTheGraph: the checks above see the packages they are about,
// so a change in go list's output cannot make them pass vacuously.
func TestRulesSeeTheGraph(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, p := range packages(t) {
		if r, ok := rel(p.ImportPath); ok {
			seen[r] = true
		}
	}
	for _, want := range append([]string{"pkg/job", "cmd/jetcron"}, roles...) {
		if !seen[want] {
			t.Errorf("go list did not report %s", want)
		}
	}
}
