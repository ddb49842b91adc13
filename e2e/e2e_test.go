package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	apiKey     = "test-key"
	apiVersion = "2024-10-01-preview"
	deployment = "gpt-4o-realtime-preview"

	// bytesPerMS is PCM16 mono at 24 kHz.
	bytesPerMS = 48

	serverStartTimeout = 20 * time.Second
	serverStopTimeout  = 10 * time.Second
	scriptTimeout      = 60 * time.Second
)

// dialect names the wire shape a client speaks and the event names it must (and must never) see.
type dialect struct {
	name        string
	audioDelta  string
	textDelta   string
	forbidden   []string // event types of the other dialect
	itemCreated string   // the event that announces a new conversation item
}

var (
	preview = dialect{
		name:        "preview",
		audioDelta:  "response.audio.delta",
		textDelta:   "response.audio_transcript.delta",
		itemCreated: "conversation.item.created",
		forbidden: []string{
			"response.output_audio.delta", "response.output_audio.done",
			"response.output_audio_transcript.delta", "response.output_audio_transcript.done",
			"response.output_text.delta", "response.output_text.done",
			"conversation.item.added", "conversation.item.done",
		},
	}
	ga = dialect{
		name:        "GA",
		audioDelta:  "response.output_audio.delta",
		textDelta:   "response.output_audio_transcript.delta",
		itemCreated: "conversation.item.added",
		forbidden: []string{
			"response.audio.delta", "response.audio.done",
			"response.audio_transcript.delta", "response.audio_transcript.done",
			"response.text.delta", "response.text.done",
			"conversation.item.created",
		},
	}
)

// The scenarios a case can ask the server for; each gets its own "rtmock serve".
const (
	// defaultReply serves the default reply with --pace instant, so text turns finish at once
	// (VAD still runs on the audio as it arrives).
	defaultReply = ""
	// bargeIn is the built-in scenario of the same name: 5 s of assistant audio at playback
	// speed, interrupted by the simulated user 1200 ms into playback. It paces itself.
	bargeIn = "barge-in"
	// dictation is the built-in transcription scenario: each spoken turn is transcribed as
	// dictationText.
	dictation     = "dictation"
	dictationText = "Book a table for two at seven."
)

type clientCase struct {
	name   string
	script string
	args   func(t *testing.T) []string
	server string // defaultReply or a built-in scenario
	// plain dials rtmock's http:// URL (ws://) and leaves the certificate out; the other
	// cases dial https:// (wss://) and trust the certificate with NODE_EXTRA_CA_CERTS.
	plain bool
	// baseURL sets OPENAI_BASE_URL for scripts in the plain OpenAI form. AzureOpenAI prefers
	// it to AZURE_OPENAI_ENDPOINT and refuses both together, so Azure scripts go without.
	baseURL bool
	// alone marks a case whose assertions depend on wall-clock timing: it does not run in
	// parallel with the others (they wait), so their start-up load cannot stall it.
	alone bool
	// stalled, for such a case, tells a run that missed its timing only because the script's
	// own event loop stalled (a machine short of CPU) from a real failure. Such a run is
	// repeated instead of checked, up to maxRuns runs in all; the last run is always checked.
	stalled func(t *testing.T, r result) (why string, ok bool)
	check   func(t *testing.T, r result)
}

// maxRuns bounds the runs of a case whose script reports a stalled clock.
const maxRuns = 3

func TestClients(t *testing.T) {
	requireNodeClients(t)
	speech, err := filepath.Abs(filepath.Join("..", "audio", "testdata", "speech-24k.wav"))
	if err != nil {
		t.Fatal(err)
	}

	cases := []clientCase{
		{
			name:   "azure quickstart on rt-client over ws prints transcript deltas and whole-sample audio",
			script: "quickstart/text-in-audio-out.js",
			plain:  true,
			check:  checkQuickstart,
		},
		{
			name:   "azure quickstart on rt-client over wss trusts the mock's certificate",
			script: "quickstart/text-in-audio-out.js",
			check:  checkQuickstart,
		},
		{
			name:   "openai beta client on the azure preview path sees only preview events",
			script: "openai-beta-azure.mjs",
			check:  checkTextTurn(preview),
		},
		{
			name:   "openai GA client on the azure v1 path sees only GA events",
			script: "openai-ga-azure.mjs",
			check:  checkTextTurn(ga),
		},
		{
			name:    "openai GA client on the openai path sees only GA events",
			script:  "openai-ga.mjs",
			baseURL: true,
			check:   checkTextTurn(ga),
		},
		{
			name:    "agents-realtime session over wss completes a GA text turn",
			script:  "agents-realtime.mjs",
			baseURL: true,
			check:   checkTextTurn(ga),
		},
		{
			// Speech from 1000.0 ms to 2520.6 ms (audio/testdata/README.md): the turn starts
			// 300 ms of prefix padding early and ends after 200 ms of silence.
			name:   "server VAD turns real speech streamed in real time into one answered turn",
			script: "audio-turn.mjs",
			args:   func(*testing.T) []string { return []string{speech} },
			check:  checkAudioTurn(700, 2720, 0),
		},
		{
			// A tone from 1000 ms to 2000 ms; its end may fall one 10 ms VAD frame either side.
			name:   "server VAD finds one turn in a tone between silences",
			script: "audio-turn.mjs",
			args: func(t *testing.T) []string {
				return []string{writeToneWAV(t, 1000, 1000, 1000)}
			},
			check: checkAudioTurn(700, 2200, 10),
		},
		{
			name:    "a transcription session (intent=transcription) transcribes real speech word by word, with no response",
			script:  "transcription.mjs",
			args:    func(*testing.T) []string { return []string{speech, "gpt-4o-mini-transcribe"} },
			server:  dictation,
			baseURL: true,
			check:   checkTranscription,
		},
		{
			name:    "barge-in: the client truncates at what it played and the response is cancelled",
			script:  "barge-in.mjs",
			server:  bargeIn,
			alone:   true,
			stalled: bargeInStalled,
			check:   checkBargeIn,
		},
	}

	bin := buildRTMock(t)
	servers := map[string]*rtmock{}
	for _, tc := range cases {
		if servers[tc.server] == nil {
			servers[tc.server] = startRTMock(t, bin, tc.server)
		}
	}
	for _, tc := range cases {
		srv := servers[tc.server]
		t.Run(tc.name, func(t *testing.T) {
			if !tc.alone {
				t.Parallel()
			}
			base, env := srv.tlsURL, []string{"NODE_EXTRA_CA_CERTS=" + srv.caFile}
			if tc.plain {
				base, env = srv.url, nil
			}
			env = append(env,
				"AZURE_OPENAI_ENDPOINT="+base,
				"AZURE_OPENAI_API_KEY="+apiKey,
				"AZURE_OPENAI_DEPLOYMENT_NAME="+deployment,
				"OPENAI_API_KEY="+apiKey,
				"OPENAI_API_VERSION="+apiVersion,
				"DOTENV_CONFIG_QUIET=true",
			)
			if tc.baseURL {
				env = append(env, "OPENAI_BASE_URL="+base+"/v1")
			}
			var args []string
			if tc.args != nil {
				args = tc.args(t)
			}
			for run := 1; ; run++ {
				r, ok := runNode(t, tc.script, args, env)
				if !ok {
					break
				}
				if tc.stalled != nil && run < maxRuns {
					if why, stalled := tc.stalled(t, r); stalled {
						t.Logf("run %d of %s: %s; running it again", run, tc.script, why)
						continue
					}
				}
				tc.check(t, r)
				if t.Failed() {
					t.Logf("%s stdout:\n%s\nstderr:\n%s", tc.script, r.stdout, r.stderr)
				}
				break
			}
			if t.Failed() {
				t.Logf("%s output so far (shared by every case on this server):\n%s", srv, srv.log.String())
			}
		})
	}
}

// requireNodeClients fails the test when node or the installed clients are missing, or skips
// it when RTMOCK_SKIP_E2E=1.
func requireNodeClients(t *testing.T) {
	t.Helper()
	if os.Getenv("RTMOCK_SKIP_E2E") == "1" {
		t.Skip("RTMOCK_SKIP_E2E=1: end-to-end tests with Node.js clients skipped")
	}
	const hint = "run the repository's test script, which installs e2e's clients with e2e/install.sh " +
		"(needs Node.js 20+ and npm), or set RTMOCK_SKIP_E2E=1 to skip these tests"
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not on PATH: %s", hint)
	}
	// install.sh records the hash of the package-lock.json it installed.
	stamp, err := os.ReadFile(filepath.Join("node_modules", ".rtmock-lock.sha256"))
	if err != nil {
		t.Fatalf("e2e/node_modules is missing or was not installed by e2e/install.sh: %s", hint)
	}
	lock, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(lock); strings.TrimSpace(string(stamp)) != hex.EncodeToString(sum[:]) {
		t.Fatalf("e2e/node_modules does not match package-lock.json: %s", hint)
	}
}

// buildRTMock builds cmd/rtmock into a temporary directory and returns the binary's path.
func buildRTMock(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rtmock")
	build := exec.Command("go", "build", "-o", bin, "github.com/rtmock/rtmock/cmd/rtmock")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/rtmock: %v\n%s", err, out)
	}
	return bin
}

// rtmock is one running "rtmock serve".
type rtmock struct {
	scenario    string
	url, tlsURL string // the same port, plain and TLS
	caFile      string // the certificate the server wrote for --ca-file
	log         *lockedBuffer
}

func (r *rtmock) String() string {
	if r.scenario == defaultReply {
		return "rtmock serve (default reply)"
	}
	return "rtmock serve " + r.scenario
}

var (
	listeningRE = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	tlsRE       = regexp.MustCompile(`and on (https://127\.0\.0\.1:\d+)\b.*\btrust (\S+)`)
)

// startRTMock starts "rtmock serve [scenario]" on a free loopback port with its certificate
// written into a temporary directory, and waits for the banner's two URLs. The server logs
// every protocol error (-v); its banner and stderr are kept for failure reports. It is stopped
// with SIGTERM when the test ends.
func startRTMock(t *testing.T, bin, scenario string) *rtmock {
	t.Helper()
	return startRTMockWith(t, bin, scenario, nil, nil)
}

// startRTMockWith is startRTMock with more flags and environment variables for the server.
func startRTMockWith(t *testing.T, bin, scenario string, flags, env []string) *rtmock {
	t.Helper()
	srv := &rtmock{scenario: scenario, caFile: filepath.Join(t.TempDir(), "rtmock-ca.pem"), log: &lockedBuffer{}}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--ca-file", srv.caFile, "-v"}
	if scenario == defaultReply {
		args = append(args, "--pace", "instant")
	} else {
		args = append(args, scenario)
	}
	args = append(args, flags...)
	pr, pw := io.Pipe()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = pw
	cmd.Stderr = srv.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", srv, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		pw.Close()
		close(exited)
	}()
	banner := make(chan struct{})
	var trust string
	go func() {
		sc := bufio.NewScanner(pr)
		var url string
		seen := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(srv.log, line)
			if seen {
				continue
			}
			if m := listeningRE.FindStringSubmatch(line); m != nil && url == "" {
				url = m[1]
			}
			if m := tlsRE.FindStringSubmatch(line); m != nil {
				srv.url, srv.tlsURL, trust = url, m[1], m[2]
				seen = true
				close(banner)
			}
		}
		io.Copy(io.Discard, pr) // keep the server's stdout drained after a scan error
	}()

	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(serverStopTimeout):
				cmd.Process.Kill()
				<-exited
				t.Errorf("%s did not exit within %v of SIGTERM", srv, serverStopTimeout)
			}
		}
		if waitErr != nil && !isSIGTERM(waitErr) {
			t.Errorf("%s exited: %v\n%s", srv, waitErr, srv.log.String())
		}
	})

	select {
	case <-banner:
	case <-exited:
		t.Fatalf("%s exited before listening: %v\n%s", srv, waitErr, srv.log.String())
	case <-time.After(serverStartTimeout):
		t.Fatalf("%s printed no %q and %q lines within %v\n%s", srv, "listening on http://127.0.0.1:PORT",
			"and on https://127.0.0.1:PORT … trust PATH", serverStartTimeout, srv.log.String())
	}
	if srv.url == "" || strings.TrimPrefix(srv.url, "http://") != strings.TrimPrefix(srv.tlsURL, "https://") {
		t.Fatalf("%s banner: plain URL %q and TLS URL %q, want one port for both\n%s", srv, srv.url, srv.tlsURL, srv.log.String())
	}
	if trust != srv.caFile {
		t.Errorf("%s says to trust %s, want the --ca-file %s", srv, trust, srv.caFile)
	}
	if _, err := os.Stat(srv.caFile); err != nil {
		t.Fatalf("%s wrote no certificate: %v", srv, err)
	}
	return srv
}

// isSIGTERM reports whether err is the exit of a process ended by SIGTERM, which is how the
// test stops the server; a server that handles the signal and exits 0 yields no error at all.
func isSIGTERM(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM
}

// result is what a client script printed.
type result struct {
	stdout, stderr string
}

// runNode runs one client script with env added to a copy of the test's environment from
// which every OPENAI_* and AZURE_OPENAI_* variable, and every setting of Node's certificate
// trust, has been removed, in an empty working directory (the quickstart loads .env from
// there). It fails the test and reports false unless the script exits 0 within scriptTimeout.
func runNode(t *testing.T, script string, args, env []string) (result, bool) {
	t.Helper()
	abs, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{abs}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(cleanEnv(), env...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		t.Errorf("node %s: %v after %v (timeout %v: %v)\nstdout:\n%s\nstderr:\n%s",
			script, err, time.Since(start).Round(time.Millisecond), scriptTimeout, ctx.Err(), r.stdout, r.stderr)
		return r, false
	}
	return r, true
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "OPENAI_") || strings.HasPrefix(name, "AZURE_OPENAI_") || strings.HasPrefix(name, "DOTENV_") ||
			name == "NODE_EXTRA_CA_CERTS" || name == "NODE_TLS_REJECT_UNAUTHORIZED" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

var (
	quickstartTextRE  = regexp.MustCompile(`^Received text delta: (.*)$`)
	quickstartAudioRE = regexp.MustCompile(`^Received (\d+) bytes of audio data\.$`)
)

// checkQuickstart checks the quickstart's own printout: transcript deltas that join to a
// sentence, and audio chunks of whole samples and whole milliseconds that start with the
// 4800 and 7200 bytes the quickstart's sample output shows.
func checkQuickstart(t *testing.T, r result) {
	t.Helper()
	var transcript strings.Builder
	var chunks []int
	for line := range strings.Lines(r.stdout) {
		line = strings.TrimSuffix(line, "\n")
		if m := quickstartTextRE.FindStringSubmatch(line); m != nil {
			transcript.WriteString(m[1])
			continue
		}
		if m := quickstartAudioRE.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			chunks = append(chunks, n)
			continue
		}
		t.Errorf("unexpected output line %q", line)
	}
	if r.stderr != "" {
		t.Errorf("quickstart wrote to stderr (it prints error events there):\n%s", r.stderr)
	}
	checkSentence(t, transcript.String())
	checkAudioChunks(t, chunks)
	if len(chunks) < 2 || chunks[0] != 4800 || chunks[1] != 7200 {
		t.Errorf("first audio chunks = %v, want 4800 then 7200 bytes", chunks[:min(len(chunks), 2)])
	}
}

func checkSentence(t *testing.T, s string) {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		t.Errorf("transcript is empty")
		return
	}
	if s != strings.TrimSpace(s) {
		t.Errorf("transcript %q has leading or trailing space", s)
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') }) {
		t.Errorf("transcript %q has no words", s)
	}
}

func checkAudioChunks(t *testing.T, chunks []int) {
	t.Helper()
	if len(chunks) == 0 {
		t.Errorf("no audio received")
		return
	}
	total := 0
	for i, n := range chunks {
		if n == 0 || n%2 != 0 {
			t.Errorf("audio chunk %d has %d bytes, want a positive whole number of 16-bit samples", i, n)
		}
		total += n
	}
	if total%bytesPerMS != 0 {
		t.Errorf("audio total %d bytes is not a whole number of ms at %d bytes/ms", total, bytesPerMS)
	}
}

// eventLine is one line the .mjs scripts print (see lib/turn.mjs).
type eventLine struct {
	Type          string          `json:"type"`
	Bytes         *int            `json:"bytes"`
	Delta         *string         `json:"delta"`
	AudioStartMS  *int            `json:"audio_start_ms"`
	AudioEndMS    *int            `json:"audio_end_ms"`
	ItemID        string          `json:"item_id"`
	ContentIndex  *int            `json:"content_index"`
	Item          *itemLine       `json:"item"`
	TurnDetection *turnDetection  `json:"turn_detection"`
	Status        string          `json:"status"`
	Reason        string          `json:"reason"`
	SessionType   string          `json:"session_type"`
	Transcript    *string         `json:"transcript"`
	Error         json.RawMessage `json:"error"`
	// Client is an event the script sent in reaction to the server (no Type of its own), Why
	// what the script based it on.
	Client  *eventLine      `json:"client"`
	Why     json.RawMessage `json:"why"`
	Summary *summary        `json:"summary"`
}

type itemLine struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

type turnDetection struct {
	Type              string `json:"type"`
	PrefixPaddingMS   int    `json:"prefix_padding_ms"`
	SilenceDurationMS int    `json:"silence_duration_ms"`
}

type summary struct {
	Counts         map[string]int `json:"counts"`
	Sequence       []string       `json:"sequence"`
	AudioBytes     int            `json:"audio_bytes"`
	AudioChunks    []int          `json:"audio_chunks"`
	Transcript     string         `json:"transcript"`
	Errors         []*string      `json:"errors"`
	ResponseStatus string         `json:"response_status"`
}

// parseEvents splits a script's output into its event lines and its closing summary.
func parseEvents(t *testing.T, stdout string) ([]eventLine, summary) {
	t.Helper()
	var events []eventLine
	var sum *summary
	for line := range strings.Lines(stdout) {
		var ev eventLine
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("output line is not JSON: %q: %v", line, err)
		}
		if ev.Summary != nil {
			sum = ev.Summary
			continue
		}
		events = append(events, ev)
	}
	if sum == nil {
		t.Fatalf("no summary line in output")
	}
	return events, *sum
}

// checkTextTurn checks one text turn: the response lifecycle in order, only the dialect's
// own event names, whole-sample audio and a transcript.
func checkTextTurn(d dialect) func(*testing.T, result) {
	return func(t *testing.T, r result) {
		t.Helper()
		_, s := parseEvents(t, r.stdout)
		checkResponse(t, d, s)
		checkSentence(t, s.Transcript)
		checkAudioChunks(t, s.AudioChunks)
		if s.Counts[d.itemCreated] == 0 {
			t.Errorf("no %s event for the conversation items", d.itemCreated)
		}
	}
}

// checkResponse checks what every turn shares: session.created first, then
// response.created, the output item and content part, the deltas, their closing events and
// response.done with status completed, in that order, and no event of the other dialect.
func checkResponse(t *testing.T, d dialect, s summary) {
	t.Helper()
	seq := s.Sequence
	if len(seq) == 0 || seq[0] != "session.created" {
		t.Errorf("first event = %q, want session.created", first(seq))
	}
	for _, bad := range d.forbidden {
		if s.Counts[bad] > 0 {
			t.Errorf("%s session received %d %s events, which belong to the other dialect", d.name, s.Counts[bad], bad)
		}
	}
	if s.Counts[d.audioDelta] == 0 {
		t.Errorf("no %s events", d.audioDelta)
	}
	if s.Counts[d.textDelta] == 0 {
		t.Errorf("no %s events", d.textDelta)
	}
	if s.ResponseStatus != "completed" {
		t.Errorf("response.done status = %q, want completed", s.ResponseStatus)
	}
	order := []string{
		"response.created",
		"response.output_item.added",
		"response.content_part.added",
		"<first delta>",
		"<last delta>",
		"response.content_part.done",
		"response.output_item.done",
		"response.done",
	}
	pos := func(name string) int {
		isDelta := func(e string) bool { return e == d.audioDelta || e == d.textDelta }
		switch name {
		case "<first delta>":
			return slices.IndexFunc(seq, isDelta)
		case "<last delta>":
			for i := len(seq) - 1; i >= 0; i-- {
				if isDelta(seq[i]) {
					return i
				}
			}
			return -1
		}
		return slices.Index(seq, name)
	}
	prev, prevName := -1, ""
	for _, name := range order {
		i := pos(name)
		if i < 0 {
			t.Errorf("no %s in %v", name, seq)
			return
		}
		if i < prev {
			t.Errorf("%s (event %d) came before %s (event %d): %v", name, i, prevName, prev, seq)
		}
		prev, prevName = i, name
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// writeToneWAV writes a PCM16 24 kHz mono WAV file of leadMS of silence, toneMS of a loud
// 440 Hz tone and trailMS of silence, and returns its path.
func writeToneWAV(t *testing.T, leadMS, toneMS, trailMS int) string {
	t.Helper()
	const rate = 24000
	samples := make([]int16, (leadMS+toneMS+trailMS)*rate/1000)
	start := leadMS * rate / 1000
	for i := range toneMS * rate / 1000 {
		samples[start+i] = int16(0.3 * math.MaxInt16 * math.Sin(2*math.Pi*440*float64(i)/rate))
	}
	var b bytes.Buffer
	dataLen := uint32(2 * len(samples))
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, 36+dataLen)
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, struct {
		Size          uint32
		Format        uint16
		Channels      uint16
		Rate          uint32
		ByteRate      uint32
		BlockAlign    uint16
		BitsPerSample uint16
	}{16, 1, 1, rate, 2 * rate, 2, 16})
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, dataLen)
	binary.Write(&b, binary.LittleEndian, samples)
	path := filepath.Join(t.TempDir(), "tone.wav")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The server's default turn detection, from which the expected VAD times follow.
const (
	defaultPrefixPaddingMS   = 300
	defaultSilenceDurationMS = 200
)

// checkAudioTurn checks one voice turn over audio-turn.mjs: the session kept the server's
// default server VAD; exactly one speech_started (audio_start_ms == wantStart), one
// speech_stopped (audio_end_ms within tolerance of wantEnd) and one committed, all for one
// item; the user item; then a completed GA response with audio; and, after the whole file
// was sent, the user item retrieved (so no second turn was still coming).
func checkAudioTurn(wantStart, wantEnd, tolerance int) func(*testing.T, result) {
	return func(t *testing.T, r result) {
		t.Helper()
		events, s := parseEvents(t, r.stdout)
		checkResponse(t, ga, s)
		checkAudioChunks(t, s.AudioChunks)

		updated, _ := find(t, events, "session.updated")
		if td := updated.TurnDetection; td == nil || td.Type != "server_vad" ||
			td.PrefixPaddingMS != defaultPrefixPaddingMS || td.SilenceDurationMS != defaultSilenceDurationMS {
			t.Errorf("session.updated turn_detection = %+v, want server_vad with prefix_padding_ms %d and silence_duration_ms %d (the expected times assume them)",
				updated.TurnDetection, defaultPrefixPaddingMS, defaultSilenceDurationMS)
		}
		for _, typ := range []string{"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed"} {
			if n := s.Counts[typ]; n != 1 {
				t.Errorf("%d %s events, want exactly 1 (one turn)", n, typ)
			}
		}
		started, iStarted := find(t, events, "input_audio_buffer.speech_started")
		stopped, iStopped := find(t, events, "input_audio_buffer.speech_stopped")
		committed, iCommitted := find(t, events, "input_audio_buffer.committed")
		_, iCreated := find(t, events, "response.created")
		if started.AudioStartMS == nil || *started.AudioStartMS != wantStart {
			t.Errorf("speech_started.audio_start_ms = %s, want %d", deref(started.AudioStartMS), wantStart)
		}
		if stopped.AudioEndMS == nil || *stopped.AudioEndMS < wantEnd-tolerance || *stopped.AudioEndMS > wantEnd+tolerance {
			t.Errorf("speech_stopped.audio_end_ms = %s, want %d ± %d", deref(stopped.AudioEndMS), wantEnd, tolerance)
		}
		id := started.ItemID
		if id == "" || stopped.ItemID != id || committed.ItemID != id {
			t.Errorf("item ids: speech_started %q, speech_stopped %q, committed %q; want one non-empty id", id, stopped.ItemID, committed.ItemID)
		}
		iItem := slices.IndexFunc(events, func(e eventLine) bool {
			return e.Type == ga.itemCreated && e.Item != nil && e.Item.ID == id
		})
		if iItem < 0 {
			t.Fatalf("no %s for the user item %s", ga.itemCreated, id)
		}
		if it := events[iItem].Item; it.Role != "user" || it.Type != "message" {
			t.Errorf("%s for the committed audio: item %+v, want a user message", ga.itemCreated, *it)
		}
		if !(iStarted < iStopped && iStopped < iCommitted && iCommitted < iItem && iItem < iCreated) {
			t.Errorf("want speech_started < speech_stopped < committed < %s (user) < response.created, have events %d, %d, %d, %d, %d",
				ga.itemCreated, iStarted, iStopped, iCommitted, iItem, iCreated)
		}
		if last := events[len(events)-1]; last.Type != "conversation.item.retrieved" || last.Item == nil || last.Item.ID != id {
			t.Errorf("last event = %s %+v, want conversation.item.retrieved of the user item %s", last.Type, last.Item, id)
		}
	}
}

// checkBargeIn checks barge-in.mjs against the barge-in scenario: speech_started while the
// assistant talks, the script's truncate of the assistant item at the audio it played
// (1000..1500 ms: the simulated user cuts in at 1200 ms of playback), conversation.item.truncated
// echoing it, the interrupted response done as cancelled / turn_detected, and a completed
// response to the interruption.
func checkBargeIn(t *testing.T, r result) {
	t.Helper()
	events, s := parseEvents(t, r.stdout)
	for _, bad := range ga.forbidden {
		if s.Counts[bad] > 0 {
			t.Errorf("GA session received %d %s events, which belong to the preview dialect", s.Counts[bad], bad)
		}
	}
	added, _ := find(t, events, "response.output_item.added")
	if added.Item == nil || added.Item.Role != "assistant" {
		t.Fatalf("first response.output_item.added item = %+v, want the assistant's message", added.Item)
	}
	assistant := added.Item.ID
	_, iStarted := find(t, events, "input_audio_buffer.speech_started")
	iFirstAudio := slices.IndexFunc(events, func(e eventLine) bool { return e.Type == ga.audioDelta })
	if iFirstAudio < 0 || iFirstAudio > iStarted {
		t.Errorf("speech_started (event %d) before the assistant's first audio (event %d): nothing was playing", iStarted, iFirstAudio)
	}

	iSent := slices.IndexFunc(events, func(e eventLine) bool {
		return e.Client != nil && e.Client.Type == "conversation.item.truncate"
	})
	if iSent < 0 {
		t.Fatalf("the script sent no conversation.item.truncate")
	}
	sent := events[iSent].Client
	if sent.ItemID != assistant || sent.ContentIndex == nil || *sent.ContentIndex != 0 {
		t.Errorf("truncate sent for item %q content_index %v, want the assistant item %q, content 0", sent.ItemID, deref(sent.ContentIndex), assistant)
	}
	if sent.AudioEndMS == nil || *sent.AudioEndMS < bargeInMinMS || *sent.AudioEndMS > bargeInMaxMS {
		t.Errorf("truncate sent with audio_end_ms %s (played, from %s), want %d..%d (the user cut in at 1200 ms of playback)",
			deref(sent.AudioEndMS), events[iSent].Why, bargeInMinMS, bargeInMaxMS)
	}
	if iSent < iStarted {
		t.Errorf("truncate sent (line %d) before speech_started (event %d)", iSent, iStarted)
	}

	truncated, iTruncated := find(t, events, "conversation.item.truncated")
	if truncated.ItemID != assistant || truncated.ContentIndex == nil || *truncated.ContentIndex != 0 ||
		truncated.AudioEndMS == nil || sent.AudioEndMS == nil || *truncated.AudioEndMS != *sent.AudioEndMS {
		t.Errorf("conversation.item.truncated: item %q content_index %s audio_end_ms %s, want item %q content_index 0 audio_end_ms %s as sent",
			truncated.ItemID, deref(truncated.ContentIndex), deref(truncated.AudioEndMS), assistant, deref(sent.AudioEndMS))
	}
	if iTruncated < iSent {
		t.Errorf("conversation.item.truncated (event %d) before the truncate was sent (line %d)", iTruncated, iSent)
	}

	var done []eventLine
	iDone := -1
	for i, e := range events {
		if e.Type == "response.done" {
			if iDone < 0 {
				iDone = i
			}
			done = append(done, e)
		}
	}
	if len(done) != 2 {
		t.Fatalf("%d response.done events, want 2 (the interrupted response and the answer to the interruption)", len(done))
	}
	if done[0].Status != "cancelled" || done[0].Reason != "turn_detected" {
		t.Errorf("interrupted response.done: status %q reason %q, want cancelled, turn_detected", done[0].Status, done[0].Reason)
	}
	if iDone < iStarted {
		t.Errorf("interrupted response.done (event %d) before speech_started (event %d)", iDone, iStarted)
	}
	if done[1].Status != "completed" {
		t.Errorf("response to the interruption: status %q, want completed", done[1].Status)
	}
}

// The window the barge-in truncate must fall in: the simulated user cuts in at 1200 ms of
// playback.
const (
	bargeInMinMS = 1000
	bargeInMaxMS = 1500
)

// bargeInStalled reports a barge-in run whose truncate point missed the window by no more than
// the script's event loop was late at worst (it saw the first delta or speech_started that
// much after they arrived), which says nothing about the server.
func bargeInStalled(t *testing.T, r result) (string, bool) {
	t.Helper()
	events, _ := parseEvents(t, r.stdout)
	i := slices.IndexFunc(events, func(e eventLine) bool { return e.Client != nil && e.Client.Type == "conversation.item.truncate" })
	if i < 0 || events[i].Client.AudioEndMS == nil {
		return "", false
	}
	var why struct {
		MaxLoopLagMS float64 `json:"max_loop_lag_ms"`
	}
	if err := json.Unmarshal(events[i].Why, &why); err != nil {
		return "", false
	}
	played := *events[i].Client.AudioEndMS
	missed := max(bargeInMinMS-played, played-bargeInMaxMS)
	if missed <= 0 || float64(missed) > why.MaxLoopLagMS {
		return "", false
	}
	return fmt.Sprintf("truncate at %d ms is %d ms outside %d..%d, and the script's event loop ran up to %.0f ms late (%s)",
		played, missed, bargeInMinMS, bargeInMaxMS, why.MaxLoopLagMS, events[i].Why), true
}

// find returns the first event of a type and its index, or fails the test.
func find(t *testing.T, events []eventLine, typ string) (eventLine, int) {
	t.Helper()
	i := slices.IndexFunc(events, func(e eventLine) bool { return e.Type == typ })
	if i < 0 {
		t.Fatalf("no %s event", typ)
	}
	return events[i], i
}

func deref(p *int) string {
	if p == nil {
		return "missing"
	}
	return strconv.Itoa(*p)
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a child's two streams.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkTranscription holds a GA transcription session to what the service sends: a
// session.created of type transcription, one spoken turn committed and added, the transcript
// as word deltas of a gpt-4o transcribe model and a completed that they add up to, and no
// response at all.
func checkTranscription(t *testing.T, r result) {
	t.Helper()
	events, s := parseEvents(t, r.stdout)
	if created, _ := find(t, events, "session.created"); created.SessionType != "transcription" {
		t.Errorf("session.created has session.type %q, want transcription", created.SessionType)
	}
	for _, typ := range []string{"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "conversation.item.added", "conversation.item.done"} {
		if n := s.Counts[typ]; n != 1 {
			t.Errorf("%d %s events, want 1 (one spoken turn)", n, typ)
		}
	}
	var deltas strings.Builder
	n := 0
	for _, e := range events {
		if e.Type == "conversation.item.input_audio_transcription.delta" && e.Delta != nil {
			deltas.WriteString(*e.Delta)
			n++
		}
		if strings.HasPrefix(e.Type, "response.") {
			t.Errorf("a transcription session sent %s", e.Type)
		}
	}
	completed, _ := find(t, events, "conversation.item.input_audio_transcription.completed")
	if completed.Transcript == nil || *completed.Transcript != dictationText {
		t.Errorf("completed transcript %v, want %q", completed.Transcript, dictationText)
	}
	if n < 2 || deltas.String() != dictationText {
		t.Errorf("%d deltas adding up to %q; want word deltas adding up to %q", n, deltas.String(), dictationText)
	}
}

// TestSIPWithTheOpenAIClient runs OpenAI's SIP call control through the openai package
// against "rtmock serve --sip-webhook" (its secret from $OPENAI_WEBHOOK_SECRET): the
// package's own webhooks.unwrap checks the signature of realtime.call.incoming, and its realtime.calls accept, refer, hangup and
// reject get the mock's answers over three calls; an accept after a hang-up is refused with 409.
func TestSIPWithTheOpenAIClient(t *testing.T) {
	requireNodeClients(t)
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	const secret = "whsec_c2lwLWUyZS1zZWNyZXQtMDEyMzQ1Njc4OWFi"
	srv := startRTMockWith(t, buildRTMock(t), defaultReply,
		[]string{"--sip-webhook", fmt.Sprintf("http://127.0.0.1:%d/hooks/openai", port)},
		[]string{"OPENAI_WEBHOOK_SECRET=" + secret})
	r, ok := runNode(t, "sip.mjs", nil, []string{
		"SIP_WEBHOOK_SECRET=" + secret, "RTMOCK_URL=" + srv.url, fmt.Sprintf("SIP_HOOK_PORT=%d", port),
		"OPENAI_BASE_URL=" + srv.url + "/v1", "OPENAI_API_KEY=" + apiKey,
	})
	if !ok {
		return
	}
	var steps []string
	for line := range strings.Lines(r.stdout) {
		var v struct {
			Webhook, Step string
			Status        int
			SIPHeaders    []string `json:"sip_headers"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		switch {
		case v.Webhook != "":
			steps = append(steps, v.Webhook)
			if strings.Join(v.SIPHeaders, ",") != "From,To,Call-ID" {
				t.Errorf("sip_headers %v, want From, To, Call-ID", v.SIPHeaders)
			}
		case v.Status != 0:
			steps = append(steps, fmt.Sprintf("%s %d", v.Step, v.Status))
		default:
			steps = append(steps, v.Step)
		}
	}
	want := "realtime.call.incoming accept refer realtime.call.incoming accept hangup accept-again 409 realtime.call.incoming reject"
	if got := strings.Join(steps, " "); got != want {
		t.Errorf("steps %q, want %q\nstderr:\n%s\nserver:\n%s", got, want, r.stderr, srv.log.String())
	}
}
