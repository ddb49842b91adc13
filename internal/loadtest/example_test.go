package loadtest_test

import (
	"context"
	"fmt"
	"os"

	"github.com/rtmock/rtmock/internal/loadtest"
)

// A small load against an in-process mock, next to the raw baseline: four
// sessions of two turns, one pair of phases, ten idle sessions. The
// figures that do not depend on the machine are the ones to check in a
// test; the rest is for WriteText and people.
func Example() {
	rep, err := loadtest.Run(context.Background(), &loadtest.Options{Sessions: 4, Turns: 2, Pairs: 1, IdleSessions: 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	p := rep.Product[0]
	fmt.Printf("%s: %d responses, %d protocol errors\n", rep.Source, p.Responses, rep.ProtocolErrors())
	fmt.Printf("baseline: %d responses\n", rep.Baseline[0].Responses)
	fmt.Printf("goroutines per idle session: %.0f\n", rep.Idle.Target.Goroutines)
	// Output:
	// default reply: 8 responses, 0 protocol errors
	// baseline: 8 responses
	// goroutines per idle session: 1
}

// Record makes a cassette from the mock itself; every session of a Run
// then replays it, and the mock holds one copy for all of them.
func ExampleRecord() {
	ctx := context.Background()
	cas, err := loadtest.Record(ctx, &loadtest.RecordOptions{Turns: 3})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	rep, err := loadtest.Run(ctx, &loadtest.Options{Cassette: cas, Sessions: 2, Turns: 1, Pairs: -1, IdleSessions: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Printf("%d responses replayed, %d protocol errors\n", rep.Product[0].Responses, rep.ProtocolErrors())
	// Output:
	// 6 responses replayed, 0 protocol errors
}
