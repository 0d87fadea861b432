package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

//go:embed assets
var assetFS embed.FS

// asset is one embedded static file with its validator.
type asset struct {
	data []byte
	etag string
	mime string
}

var (
	assets   = map[string]asset{}
	version  string // a digest of every asset, to bust caches in the shell
	pageTmpl = template.Must(template.ParseFS(assetFS, "assets/page.html", "assets/login.html"))
)

func init() {
	entries, err := assetFS.ReadDir("assets")
	if err != nil {
		panic(err)
	}
	all := sha256.New()
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".html") {
			continue // templates, not served as they are
		}
		data, err := assetFS.ReadFile("assets/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(data)
		all.Write(sum[:])
		assets[e.Name()] = asset{data: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, mime: mime.TypeByExtension(path.Ext(e.Name()))}
	}
	version = hex.EncodeToString(all.Sum(nil)[:6])
}

// serveAsset serves an embedded file; browsers revalidate it by its ETag.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.mime)
	w.Header().Set("ETag", a.etag)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

// pageData fills the HTML shell; app.js renders the page from the API.
type pageData struct {
	Title   string
	Page    string // jobs, job, execution, workers, notfound
	Arg     string // the job name or execution ID
	Version string
	Auth    bool // show "sign out"
	Problem string
	Next    string
}

func (s *Server) renderPage(w http.ResponseWriter, status int, d pageData, tmpl string) {
	d.Version = version
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, tmpl, d); err != nil {
		s.log.Error("render page", "page", d.Page, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// page serves the shell of one page; a malformed name or ID is a 404 page.
func (s *Server) page(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d := pageData{Page: kind, Auth: s.auth.tokenMode()}
		switch kind {
		case "jobs":
			d.Title = "Jobs"
		case "workers":
			d.Title = "Workers"
		case "calendars":
			d.Title = "Calendars"
		case "job":
			d.Arg, d.Title = r.PathValue("name"), r.PathValue("name")
			if job.ValidateName(d.Arg) != nil {
				s.notFoundPage(w, r)
				return
			}
		case "execution":
			d.Arg, d.Title = r.PathValue("id"), r.PathValue("id")
			if _, _, err := job.ParseExecutionID(d.Arg); err != nil {
				s.notFoundPage(w, r)
				return
			}
		}
		s.renderPage(w, http.StatusOK, d, "page.html")
	}
}

func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, http.StatusNotFound, pageData{Title: "Not found", Page: "notfound", Arg: r.URL.Path, Auth: s.auth.tokenMode()}, "page.html")
}

// loginPage asks for the token (status 401 when a page was refused).
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, status int, problem string) {
	next := r.URL.RequestURI()
	if r.URL.Path == "/login" {
		next = r.URL.Query().Get("next")
	}
	s.renderPage(w, status, pageData{Title: "Sign in", Page: "login", Problem: problem, Next: localPath(next)}, "login.html")
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if !s.auth.tokenMode() || s.auth.ok(r) {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.loginPage(w, r, http.StatusOK, "")
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.loginPage(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	next := localPath(r.PostForm.Get("next"))
	if s.auth.tooMany(w, r) {
		return
	}
	if !s.auth.signIn(w, r, r.PostForm.Get("token")) {
		r.URL.RawQuery = url.Values{"next": {next}}.Encode()
		s.loginPage(w, r, http.StatusUnauthorized, "That token is not the one this server was started with.")
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.auth.signOut(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// localPath keeps a redirect target on this server: a path, never
// another origin ("//evil", "https://evil", "/\evil", and "/\t/evil",
// which a browser reads as "//evil" once it drops the tab).
func localPath(p string) string {
	if p == "" || len(p) > 2048 || p[0] != '/' || strings.HasPrefix(p, "/login") {
		return "/"
	}
	for _, c := range []byte(p) {
		if c <= ' ' || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(p, "//") {
		return "/"
	}
	return p
}
