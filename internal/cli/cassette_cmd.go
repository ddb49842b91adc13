package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
)

// newCassetteCmd returns "rtmock cassette" and its subcommands.
func newCassetteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use: "cassette",
		Example: `  rtmock cassette inspect session.jsonl
  rtmock cassette audio session.jsonl --out reply.wav
  rtmock cassette scrub session.jsonl --redact 'my-key' -o clean.jsonl`,
		Short: "Inspect, scrub and listen to recorded cassettes",
		Long: `Cassettes are the JSON Lines recordings rtrecord writes: a header, then every
frame of one realtime session with its time and direction.`,
	}
	cmd.AddCommand(cassetteInspectCmd(), cassetteScrubCmd(), cassetteAudioCmd())
	return cmd
}

// cassetteFailed reports err on stderr and returns an error that exits 1
// (a cassette that cannot be read or written is a failed check, not a
// usage mistake).
func cassetteFailed(cmd *cobra.Command, err error) error {
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", cmd.CommandPath(), err)
	return errors.Join(errFailed, err)
}

func cassetteOneFile(_ *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("want one cassette file, got %d arguments", len(args))
	}
	return nil
}

func cassetteInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "inspect FILE [--json]",
		Example: `  rtmock cassette inspect session.jsonl
  rtmock cassette inspect session.jsonl --json | jq .responses`,
		Short: "Summarize a cassette: turns, durations, events, audio, errors",
		Args:  cassetteOneFile,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := cassetteSummarize(args[0])
			if err != nil {
				return cassetteFailed(cmd, err)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(cassetteSummaryJSON(args[0], s))
			}
			cassettePrintSummary(cmd.OutOrStdout(), args[0], s)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

// cassetteSummarize streams the file through cassette.Inspect.
func cassetteSummarize(path string) (*cassette.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := cassette.NewReader(f, &cassette.ReaderOptions{Name: path})
	if err != nil {
		return nil, err
	}
	return cassette.Inspect(r)
}

func cassetteSeconds(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func cassettePrintSummary(w io.Writer, path string, s *cassette.Summary) {
	h := s.Header
	fmt.Fprintf(w, "cassette %s\n", path)
	fmt.Fprintf(w, "  recorded %s", h.Created.UTC().Format(time.RFC3339))
	if h.Recorder != "" {
		fmt.Fprintf(w, " by %s", h.Recorder)
	}
	if h.ID != "" {
		fmt.Fprintf(w, ", session %s", h.ID)
	}
	fmt.Fprintln(w)
	endpoint := h.Endpoint.Path
	if len(h.Endpoint.Query) > 0 {
		var q []string
		for _, k := range slices.Sorted(maps.Keys(h.Endpoint.Query)) {
			q = append(q, k+"="+h.Endpoint.Query[k])
		}
		endpoint += "?" + strings.Join(q, "&")
	}
	fmt.Fprintf(w, "  %s %s %s\n", cassetteOr(h.Provider, "?"), cassetteOr(string(h.Dialect), "?"), endpoint)
	fmt.Fprintf(w, "  %d frames over %s\n", s.Frames, cassetteSeconds(s.Duration))

	fmt.Fprintf(w, "\nturns: %d\n", len(s.Responses))
	for i, r := range s.Responses {
		fmt.Fprintf(w, "  %d  %s  %s  %s", i+1, r.ID, cassetteOr(r.Status, "unfinished"), cassetteSeconds(r.Start))
		if r.End > 0 {
			fmt.Fprintf(w, " to %s (%v)", cassetteSeconds(r.End), (r.End - r.Start).Round(time.Millisecond))
		}
		fmt.Fprintf(w, "  audio %v", r.Audio.Round(time.Millisecond))
		if r.Transcript != "" {
			fmt.Fprintf(w, "  %q", r.Transcript)
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "\naudio:\n")
	for _, a := range []struct {
		name string
		a    cassette.Audio
	}{{"client to server", s.AudioIn}, {"server to client", s.AudioOut}} {
		fmt.Fprintf(w, "  %s  %v (%d bytes in %d events", a.name, a.a.Duration.Round(10*time.Microsecond), a.a.Bytes, a.a.Events)
		if a.a.Elided > 0 {
			fmt.Fprintf(w, ", %d elided", a.a.Elided)
		}
		fmt.Fprintln(w, ")")
	}

	fmt.Fprintf(w, "\nevents:\n")
	for _, d := range []struct {
		dir    string
		counts map[string]int
	}{{"client", s.ClientEvents}, {"server", s.ServerEvents}} {
		for _, typ := range slices.Sorted(maps.Keys(d.counts)) {
			fmt.Fprintf(w, "  %s  %-55s %6d\n", d.dir, typ, d.counts[typ])
		}
	}
	if s.NotJSON > 0 || s.Binary > 0 {
		fmt.Fprintf(w, "  other frames: %d text that is not JSON, %d binary\n", s.NotJSON, s.Binary)
	}
	if s.Close != nil {
		fmt.Fprintf(w, "\nclosed by the %s at %s: %d %q\n", s.Close.Dir, cassetteSeconds(s.Close.T), s.Close.Code, s.Close.Reason)
	}
	if len(s.Problems) > 0 {
		fmt.Fprintf(w, "\nproblems: %d\n", len(s.Problems))
		for _, p := range s.Problems {
			fmt.Fprintf(w, "  %s  %s  %s\n", cassetteSeconds(p.T), p.Dir, p.Message)
		}
	}
	if s.Stopped != "" {
		fmt.Fprintf(w, "\nwarning: the recording stopped early (%s); the rest of the session is not in the cassette\n", s.Stopped)
	}
	if s.Truncated != nil {
		fmt.Fprintf(w, "\nwarning: %v\n", s.Truncated)
	}
}

func cassetteOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// cassetteJSON is the --json form of a summary: durations in milliseconds.
type cassetteJSON struct {
	File         string            `json:"file"`
	Header       cassette.Header   `json:"header"`
	Frames       int               `json:"frames"`
	DurationMs   float64           `json:"duration_ms"`
	Turns        []cassetteTurn    `json:"turns"`
	AudioInMs    float64           `json:"audio_in_ms"`
	AudioOutMs   float64           `json:"audio_out_ms"`
	AudioInB     int64             `json:"audio_in_bytes"`
	AudioOutB    int64             `json:"audio_out_bytes"`
	Elided       int               `json:"elided_audio_events"`
	ClientEvents map[string]int    `json:"client_events"`
	ServerEvents map[string]int    `json:"server_events"`
	NotJSON      int               `json:"not_json_frames"`
	Binary       int               `json:"binary_frames"`
	Close        *cassetteClose    `json:"close,omitempty"`
	Problems     []cassetteProblem `json:"problems"`
	Stopped      string            `json:"recording_stopped,omitempty"`
	Warning      string            `json:"warning,omitempty"`
}

type cassetteTurn struct {
	ID         string  `json:"id"`
	Status     string  `json:"status"`
	StartMs    float64 `json:"start_ms"`
	EndMs      float64 `json:"end_ms,omitempty"`
	AudioMs    float64 `json:"audio_ms"`
	Transcript string  `json:"transcript,omitempty"`
}

type cassetteClose struct {
	Dir    string  `json:"dir"`
	AtMs   float64 `json:"at_ms"`
	Code   int     `json:"code"`
	Reason string  `json:"reason"`
}

type cassetteProblem struct {
	AtMs    float64 `json:"at_ms"`
	Dir     string  `json:"dir"`
	Message string  `json:"message"`
}

func cassetteMs(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func cassetteSummaryJSON(path string, s *cassette.Summary) cassetteJSON {
	out := cassetteJSON{
		File: path, Header: s.Header, Frames: s.Frames, DurationMs: cassetteMs(s.Duration),
		Turns:     []cassetteTurn{},
		AudioInMs: cassetteMs(s.AudioIn.Duration), AudioOutMs: cassetteMs(s.AudioOut.Duration),
		AudioInB: s.AudioIn.Bytes, AudioOutB: s.AudioOut.Bytes, Elided: s.AudioIn.Elided + s.AudioOut.Elided,
		ClientEvents: s.ClientEvents, ServerEvents: s.ServerEvents, NotJSON: s.NotJSON, Binary: s.Binary,
		Problems: []cassetteProblem{},
	}
	for _, r := range s.Responses {
		out.Turns = append(out.Turns, cassetteTurn{ID: r.ID, Status: r.Status, StartMs: cassetteMs(r.Start), EndMs: cassetteMs(r.End), AudioMs: cassetteMs(r.Audio), Transcript: r.Transcript})
	}
	if c := s.Close; c != nil {
		out.Close = &cassetteClose{Dir: string(c.Dir), AtMs: cassetteMs(c.T), Code: c.Code, Reason: c.Reason}
	}
	for _, p := range s.Problems {
		out.Problems = append(out.Problems, cassetteProblem{AtMs: cassetteMs(p.T), Dir: string(p.Dir), Message: p.Message})
	}
	out.Stopped = s.Stopped
	if s.Truncated != nil {
		out.Warning = s.Truncated.Error()
	}
	return out
}

func cassetteScrubCmd() *cobra.Command {
	var redact []string
	var output string
	cmd := &cobra.Command{
		Use:     "scrub FILE --redact VALUE... [-o OUT]",
		Example: `  rtmock cassette scrub session.jsonl --redact 'sk-live-123' --redact 'Jane Doe' -o shared.jsonl`,
		Short:   "Replace secret values in a cassette with [REDACTED] (atomic rewrite)",
		Long: `scrub rewrites a cassette with every --redact value, as it is, URL-encoded or
JSON-escaped, replaced by [REDACTED]. The file is replaced atomically (or OUT
is written): a temporary file is written, synced and renamed.`,
		Args: cassetteOneFile,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(redact) == 0 {
				return usagef("scrub needs at least one --redact VALUE")
			}
			if output == "" {
				output = args[0]
			}
			c, err := cassette.Load(args[0])
			if err != nil {
				return cassetteFailed(cmd, err)
			}
			if err := c.Save(output, &cassette.WriterOptions{Redactor: cassette.NewRedactor(redact...)}); err != nil {
				return cassetteFailed(cmd, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "scrubbed %d frames into %s\n", c.Len(), output)
			if tr := c.Truncated(); tr != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "note: the half-written last line was left out (%v)\n", tr)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&redact, "redact", nil, "a secret value to replace (repeatable)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write here instead of replacing FILE")
	return cmd
}

func cassetteAudioCmd() *cobra.Command {
	var out, dir string
	cmd := &cobra.Command{
		Use: "audio FILE --out x.wav [--dir server|client]",
		Example: `  rtmock cassette audio session.jsonl --out assistant.wav
  rtmock cassette audio session.jsonl --out mic.wav --dir client`,
		Short: "Write the audio of one direction as a WAV file",
		Long: `audio joins the audio one side sent (the server's audio deltas, or the
client's input_audio_buffer.append events) into a mono WAV file: PCM16 at
24 kHz, or G.711 at 8 kHz as it went over the wire. Elided audio is written
as silence of the same length.`,
		Args: cassetteOneFile,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("audio needs --out FILE.wav")
			}
			d := cassette.Direction(dir)
			if !d.Valid() {
				return usagef("--dir must be server or client, not %q", dir)
			}
			track, err := cassetteReadAudio(args[0], d)
			if err != nil {
				return cassetteFailed(cmd, err)
			}
			if err := cassetteWriteWAV(out, track); err != nil {
				return cassetteFailed(cmd, err)
			}
			format, _ := audio.ParseFormat(track.Format)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %v of %s audio (%s, %d bytes from %d events) to %s\n",
				format.Duration(len(track.Data)).Round(time.Millisecond), d, track.Format, len(track.Data), track.Events, out)
			if track.Elided > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "note: %d events had their audio elided; they are silence of the same length\n", track.Elided)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the WAV file to write (required)")
	cmd.Flags().StringVar(&dir, "dir", "server", "whose audio: server (the assistant) or client (the user)")
	return cmd
}

// cassetteReadAudio streams the file and keeps only the track: the
// cassette itself is never held in memory.
func cassetteReadAudio(path string, d cassette.Direction) (*cassette.AudioTrack, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := cassette.NewReader(f, &cassette.ReaderOptions{Name: path})
	if err != nil {
		return nil, err
	}
	return cassette.ReadAudio(r, d)
}

func cassetteWriteWAV(path string, track *cassette.AudioTrack) error {
	format, err := audio.ParseFormat(track.Format)
	if err != nil {
		return err
	}
	data := track.Data
	if n := format.BytesPerSample(); len(data)%n != 0 {
		data = data[:len(data)-len(data)%n] // a torn last sample cannot be written
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := audio.WriteWAV(f, format, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
