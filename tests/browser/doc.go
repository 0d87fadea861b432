// Package browser holds the end-to-end tests of the web UI: `jetcron dev`
// and `jetcron web` run in the test process, and a real headless Chromium,
// driven with chromedp, uses their pages as a person would.
//
// The browser is /usr/bin/chromium (Debian's package; .ci/run installs it) or
// the one named by JETCRON_CHROMIUM. Without one the tests skip with a
// message, except under CI=true, where they fail. With
// JETCRON_SCREENSHOTS=DIR (relative to the repository root, e.g. docs/img)
// the tests write their screenshots of each page there as PNG files.
package browser
