//go:build !race

package web_test

// raceEnabled slows everything down several times; time limits allow for it.
const raceEnabled = false
