//go:build race

package cassette

// raceEnabled: the race detector keeps shadow memory for every allocation,
// so memory measurements mean nothing under it.
const raceEnabled = true
