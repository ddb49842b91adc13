package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// RecordOptions configure Record. A nil *RecordOptions, and every zero
// field, means the documented default.
type RecordOptions struct {
	// Scenario the mock plays; nil means its default reply.
	Scenario *scenarios.Scenario
	// Turns is the number of response.create turns recorded. Default 5; at
	// most MaxTurns.
	Turns int
	// Pace of the mock while recording; the cassette keeps its timing.
	// Default instant.
	Pace scenarios.Pace
	// Path is the path and query the session dials, which sets the
	// cassette's dialect. Default DefaultPath.
	Path string
	// Seed of the mock's ids. Default 1.
	Seed int64
	// Name is the cassette's name in messages (its Path). Default
	// "recorded.jsonl".
	Name string
}

// Record runs one session of Turns response.create turns against an
// in-process mock on loopback and returns it as a cassette, as a
// recording proxy would have written it: the frames of both directions
// with their times, audio inline. Save it with [cassette.Cassette.Save].
func Record(ctx context.Context, opts *RecordOptions) (*cassette.Cassette, error) {
	var o RecordOptions
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Turns == 0:
		o.Turns = 5
	case o.Turns < 0 || o.Turns > MaxTurns:
		return nil, fmt.Errorf("record: Turns = %d, want 1 to %d", o.Turns, MaxTurns)
	}
	if o.Pace.Mode == scenarios.PaceDefault {
		o.Pace = scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}
	}
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Name == "" {
		o.Name = "recorded.jsonl"
	}
	mock, err := mockserver.New(&mockserver.Options{Scenario: o.Scenario, Pace: o.Pace, Seed: o.Seed, DisableTLS: true, KeepTranscripts: true})
	if err != nil {
		return nil, fmt.Errorf("record: start the mock: %w", err)
	}
	err = recordTurns(ctx, "ws"+strings.TrimPrefix(mock.URL(), "http")+o.Path, o.Turns)
	if cerr := mock.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close the mock: %w", cerr)
	}
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	trs := mock.Transcripts()
	if len(trs) != 1 {
		return nil, fmt.Errorf("record: the mock kept %d sessions, want 1", len(trs))
	}
	c, err := transcriptCassette(trs[0], o.Name)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return c, nil
}

func recordTurns(ctx context.Context, url string, turns int) error {
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return fmt.Errorf("dial the mock: %w", err)
	}
	conn.SetReadLimit(readLimit)
	c := newClient(ctx, conn, &tally{})
	defer c.close()
	if k, _, err := c.read(); err != nil || k != kindSessionCreated {
		return errors.Join(errors.New("no session.created"), err)
	}
	for i := range turns {
		if err := c.turn(); err != nil {
			return fmt.Errorf("turn %d: %w", i+1, err)
		}
	}
	c.stop()
	return conn.Close(websocket.StatusNormalClosure, "")
}

// transcriptCassette writes a transcript in the cassette format and parses
// it back.
func transcriptCassette(tr *mockserver.Transcript, name string) (*cassette.Cassette, error) {
	var buf bytes.Buffer
	if err := tr.WriteCassette(&buf, nil); err != nil {
		return nil, err
	}
	return cassette.Parse(&buf, name)
}
