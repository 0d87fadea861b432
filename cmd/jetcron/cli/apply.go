package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/notify"
)

func applyCommand() *cli.Command {
	return &cli.Command{
		Name:  "apply",
		Usage: "create or update every job of a YAML (or JSON) file; validates the whole file first",
		Description: "The file holds job definitions with the fields of `job get -o json`: one per YAML document,\n" +
			"   or a list under `jobs:`. A script task may name `script_file: path` (relative to the file) instead\n" +
			"   of an uploaded script. --prune deletes the jobs that carry the labels every job of the file shares\n" +
			"   (or those of --selector) and are not in the file. A document with `kind: Notify` is a notification sink\n" +
			"   (the fields of `notify get -o json`); --prune leaves sinks alone. Documents with `kind: Calendar` (or a list under\n" +
			"   `calendars:`) are calendars, applied before the jobs that name them.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "the file (- for standard input)", Required: true},
			&cli.BoolFlag{Name: "dry-run", Usage: "print what would change (field diff, fire times) without changing anything"},
			reasonFlag,
			&cli.BoolFlag{Name: "prune", Usage: "delete jobs of the file's label set that are not in the file"},
			&cli.StringSliceFlag{Name: "selector", Aliases: []string{"l"}, Usage: "label K=V that scopes --prune (repeatable)"},
		},
		Action: apply,
	}
}

// readOnlyFields are the fields `job get -o json` shows that a file may
// carry but that apply ignores: the scheduler and the API own them.
var readOnlyFields = []string{"revision", "status", "next", "next_skipped", "schedule_text", "state", "checkpoint", "health", "created_at", "updated_at", "enabled_at"}

// fileJob is one job of the file, with the script to upload if any.
type fileJob struct {
	spec       job.Spec
	scriptPath string
	scriptData []byte
}

func apply(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("apply takes no arguments (use -f FILE)")
	}
	path := c.String("file")
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(c.App.Reader)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return usageErr("-f: %v", err)
	}
	cals, err := parseCalendarsFile(data)
	if err != nil {
		return usageErr("%s: %v", path, err)
	}
	jobs, sinks, err := parseFile(data, filepath.Dir(path))
	if err != nil && (len(cals) == 0 || !errors.Is(err, errNoJobs)) {
		return usageErr("%s: %v", path, err)
	}
	selector, err := keyValues("selector", c.StringSlice("selector"))
	if err != nil {
		return err
	}
	if c.Bool("prune") && len(selector) == 0 {
		selector = sharedLabels(jobs)
		if len(selector) == 0 {
			return usageErr("--prune: the jobs of %s share no label, so nothing scopes what to delete; label them (e.g. app: billing) or give --selector", path)
		}
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}

	// Validate everything before changing anything: the API's dry run sees
	// what the real call would.
	calResults, problems := checkCalendars(c, cl, cals)
	results := make([]api.CreateResponse, len(jobs))
	for i, fj := range jobs {
		spec := fj.spec
		spec.SkipCalendars = withoutFileCalendars(spec.SkipCalendars, cals)
		r, err := cl.CreateJob(c.Context, spec, client.WithUpdate(), client.WithDryRun())
		if err != nil {
			_, msg := describeIn(err, fileTerms)
			problems = append(problems, fmt.Sprintf("job %s: %s", spec.Name, msg))
			continue
		}
		results[i] = r
	}
	problems = append(problems, checkSinks(c, cl, sinks)...)
	if len(problems) > 0 {
		return &exitError{code: exitUsage, msg: "nothing applied:\n  " + strings.Join(problems, "\n  ")}
	}
	var prune []string
	if c.Bool("prune") {
		existing, err := cl.ListJobs(c.Context, api.ListRequest{Labels: selector})
		if err != nil {
			return err
		}
		inFile := map[string]bool{}
		for _, fj := range jobs {
			inFile[fj.spec.Name] = true
		}
		for _, v := range existing {
			if !inFile[v.Name] {
				prune = append(prune, v.Name)
			}
		}
	}
	suffix := ""
	if c.Bool("dry-run") {
		suffix = " (dry run)"
	}
	if err := applyCalendars(c, cl, cals, calResults, c.Bool("dry-run"), suffix); err != nil {
		return err
	}
	w := c.App.Writer
	for i, fj := range jobs {
		r := results[i]
		if !c.Bool("dry-run") && r.Result != "unchanged" {
			if fj.scriptPath != "" {
				if _, err := cl.UploadScriptBytes(c.Context, filepath.Base(fj.scriptPath), fj.scriptData); err != nil {
					return err
				}
			}
			if r, err = cl.CreateJob(c.Context, fj.spec, client.WithUpdate(), client.WithReason(c.String("reason"))); err != nil {
				return fmt.Errorf("job %s: %w", fj.spec.Name, err)
			}
		}
		changes := ""
		if len(r.Changes) > 0 {
			changes = " (" + strings.Join(r.Changes, ", ") + ")"
		}
		fmt.Fprintf(w, "job %s %s%s%s\n", fj.spec.Name, r.Result, changes, suffix)
		if c.Bool("dry-run") && r.Preview != nil && r.Result != "unchanged" {
			writePreview(w, "  ", *r.Preview)
		}
	}
	if err := applySinks(c, cl, sinks, suffix); err != nil {
		return err
	}
	for _, name := range prune {
		if !c.Bool("dry-run") {
			if err := cl.DeleteJob(c.Context, name, client.Because(c.String("reason"))); err != nil {
				return fmt.Errorf("prune %s: %w", name, err)
			}
		}
		fmt.Fprintf(w, "job %s deleted%s\n", name, suffix)
	}
	return nil
}

// errNoJobs means a file holds no job (it may hold calendars).
var errNoJobs = errors.New("no job definitions")

// parseJobsFile reads every job of a file strictly: unknown fields and
// duplicate names are errors that name the job and the field.
func parseJobsFile(data []byte, dir string) ([]fileJob, error) {
	jobs, _, err := parseFile(data, dir)
	return jobs, err
}

// parseFile reads every job and notification sink (a document of kind
// Notify, apply_notify.go) of a file strictly.
func parseFile(data []byte, dir string) ([]fileJob, []notify.Sink, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var raws, sinkRaws []map[string]any
	for doc := 1; ; doc++ {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("document %d: %v", doc, err)
		}
		if v == nil {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("document %d: want a job (a mapping) or `jobs:` with a list", doc)
		}
		if isCalendarDoc(m) { // parseCalendarsFile reads them
			continue
		}
		if isSink, err := documentKind(m); err != nil {
			return nil, nil, fmt.Errorf("document %d: %v", doc, err)
		} else if isSink {
			sinkRaws = append(sinkRaws, m)
			continue
		}
		if list, ok := m["jobs"]; ok && len(m) == 1 {
			items, ok := list.([]any)
			if !ok {
				return nil, nil, fmt.Errorf("document %d: `jobs` must be a list", doc)
			}
			for i, it := range items {
				jm, ok := it.(map[string]any)
				if !ok {
					return nil, nil, fmt.Errorf("document %d: jobs[%d] is not a mapping", doc, i)
				}
				raws = append(raws, jm)
			}
			continue
		}
		raws = append(raws, m)
	}
	if len(raws) == 0 && len(sinkRaws) == 0 {
		return nil, nil, errNoJobs
	}
	seen := map[string]bool{}
	var out []fileJob
	var problems []string
	for i, raw := range raws {
		fj, err := decodeFileJob(raw, dir)
		name := fj.spec.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("job %s: %v", name, err))
			continue
		}
		if seen[name] {
			problems = append(problems, fmt.Sprintf("job %s: name: appears more than once", name))
			continue
		}
		seen[name] = true
		out = append(out, fj)
	}
	sinks, sinkProblems := decodeFileSinks(sinkRaws)
	problems = append(problems, sinkProblems...)
	if len(problems) > 0 {
		return nil, nil, errors.New("nothing applied:\n  " + strings.Join(problems, "\n  "))
	}
	return out, sinks, nil
}

func decodeFileJob(raw map[string]any, dir string) (fileJob, error) {
	var fj fileJob
	for _, k := range readOnlyFields {
		delete(raw, k)
	}
	if task, ok := raw["task"].(map[string]any); ok {
		if p, ok := task["script_file"].(string); ok {
			delete(task, "script_file")
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return fj, fmt.Errorf("task.script_file: %v", err)
			}
			fj.scriptPath, fj.scriptData = p, data
			if _, set := task["kind"]; !set {
				task["kind"] = string(job.TaskScript)
			}
		}
	}
	js, err := json.Marshal(raw)
	if err != nil {
		return fj, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if name, ok := raw["name"].(string); ok {
		fj.spec.Name = name
	}
	if err := dec.Decode(&fj.spec); err != nil {
		return fj, fmt.Errorf("%v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if fj.scriptPath != "" {
		sum := sha256.Sum256(fj.scriptData)
		digest := hex.EncodeToString(sum[:])
		fj.spec.Task.Script = &job.ScriptRef{Name: filepath.Base(fj.scriptPath), Key: job.ScriptKey(digest), SHA256: digest, Size: int64(len(fj.scriptData))}
	}
	if err := fj.spec.Validate(); err != nil {
		if fj.scriptPath != "" {
			scriptFileTerms(err)
		}
		return fj, err
	}
	return fj, nil
}

// scriptFileTerms names the script of a job whose file gives script_file
// as the file does: the task.script the validator judged is that file's.
func scriptFileTerms(err error) {
	fes, _ := err.(job.FieldErrors)
	if fe, ok := err.(*job.FieldError); ok {
		fes = job.FieldErrors{fe}
	}
	for _, fe := range fes {
		if fe.Field == "task.script" || strings.HasPrefix(fe.Field, "task.script.") {
			fe.Field = "task.script_file"
		}
	}
}

// sharedLabels returns the labels every job has, with the same value.
func sharedLabels(jobs []fileJob) map[string]string {
	if len(jobs) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range jobs[0].spec.Labels {
		out[k] = v
	}
	for _, fj := range jobs[1:] {
		for k, v := range out {
			if fj.spec.Labels[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}
