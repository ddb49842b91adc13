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

func TestClients(t *testing.T) {
	requireNodeClients(t)
	url := startRTMock(t)

	cases := []struct {
		name   string
		script string
		// azureClient marks scripts that construct AzureOpenAI: it prefers OPENAI_BASE_URL
		// over AZURE_OPENAI_ENDPOINT (openai/azure.mjs), so that variable is left out.
		azureClient bool
		args        func(t *testing.T) []string
		check       func(t *testing.T, r result)
	}{
		{
			name:   "azure quickstart on rt-client prints transcript deltas and whole-sample audio",
			script: "quickstart/text-in-audio-out.js",
			check:  checkQuickstart,
		},
		{
			name:        "openai beta client on the azure preview path sees only preview events",
			script:      "openai-beta-azure.mjs",
			azureClient: true,
			check:       checkTextTurn(preview),
		},
		{
			name:        "openai GA client on the azure v1 path sees only GA events",
			script:      "openai-ga-azure.mjs",
			azureClient: true,
			check:       checkTextTurn(ga),
		},
		{
			name:   "openai GA client on the openai path sees only GA events",
			script: "openai-ga.mjs",
			check:  checkTextTurn(ga),
		},
		{
			name:   "agents-realtime session over websocket completes a GA text turn",
			script: "agents-realtime.mjs",
			check:  checkTextTurn(ga),
		},
		{
			name:        "server VAD finds a tone streamed in real time and answers it",
			script:      "audio-turn.mjs",
			azureClient: true,
			args: func(t *testing.T) []string {
				return []string{writeToneWAV(t)}
			},
			check: checkAudioTurn,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := []string{
				"AZURE_OPENAI_ENDPOINT=" + url,
				"AZURE_OPENAI_API_KEY=" + apiKey,
				"OPENAI_API_KEY=" + apiKey,
				"OPENAI_API_VERSION=" + apiVersion,
				"DOTENV_CONFIG_QUIET=true",
			}
			if !tc.azureClient {
				env = append(env, "OPENAI_BASE_URL="+url+"/v1")
			}
			var args []string
			if tc.args != nil {
				args = tc.args(t)
			}
			r := runNode(t, tc.script, args, env)
			if t.Failed() {
				return
			}
			tc.check(t, r)
			if t.Failed() {
				t.Logf("%s stdout:\n%s\nstderr:\n%s", tc.script, r.stdout, r.stderr)
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

var listeningRE = regexp.MustCompile(`listening on (https?://127\.0\.0\.1:\d+)`)

// startRTMock builds cmd/rtmock, starts "rtmock serve" on a free loopback port and returns its
// base URL. The server is stopped with SIGTERM when the test ends.
func startRTMock(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rtmock")
	build := exec.Command("go", "build", "-o", bin, "github.com/rtmock/rtmock/cmd/rtmock")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/rtmock: %v\n%s", err, out)
	}

	var log lockedBuffer
	pr, pw := io.Pipe()
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--pace", "instant")
	srv.Stdout = pw
	srv.Stderr = &log
	if err := srv.Start(); err != nil {
		t.Fatalf("start rtmock: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = srv.Wait()
		pw.Close()
		close(exited)
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(&log, line)
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr) // keep the server's stdout drained after a scan error
	}()

	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			srv.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(serverStopTimeout):
				srv.Process.Kill()
				<-exited
				t.Errorf("rtmock did not exit within %v of SIGTERM", serverStopTimeout)
			}
		}
		if waitErr != nil && !isSIGTERM(waitErr) {
			t.Errorf("rtmock exited: %v", waitErr)
		}
		if t.Failed() {
			t.Logf("rtmock output:\n%s", log.String())
		}
	})

	select {
	case url := <-found:
		return url
	case <-exited:
		t.Fatalf("rtmock exited before listening: %v\n%s", waitErr, log.String())
	case <-time.After(serverStartTimeout):
		t.Fatalf("rtmock printed no %q line within %v\n%s", "listening on http://127.0.0.1:PORT", serverStartTimeout, log.String())
	}
	return ""
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
// which every OPENAI_* and AZURE_OPENAI_* variable has been removed, in an empty working
// directory (the quickstart loads .env from there). It fails the test unless the script
// exits 0.
func runNode(t *testing.T, script string, args, env []string) result {
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
	err = cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		t.Errorf("node %s: %v (context: %v)\nstdout:\n%s\nstderr:\n%s", script, err, ctx.Err(), r.stdout, r.stderr)
	}
	return r
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OPENAI_") || strings.HasPrefix(kv, "AZURE_OPENAI_") || strings.HasPrefix(kv, "DOTENV_") {
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
	Type         string          `json:"type"`
	Bytes        *int            `json:"bytes"`
	Delta        *string         `json:"delta"`
	AudioStartMS *int            `json:"audio_start_ms"`
	AudioEndMS   *int            `json:"audio_end_ms"`
	ItemID       string          `json:"item_id"`
	Status       string          `json:"status"`
	Error        json.RawMessage `json:"error"`
	Summary      *summary        `json:"summary"`
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

// The tone file for the audio turn: silence, a loud 440 Hz tone, silence.
const (
	toneLeadMS  = 600
	toneMS      = 1200
	toneTrailMS = 1500
)

// writeToneWAV writes a PCM16 24 kHz mono WAV file of silence, tone, silence and returns its path.
func writeToneWAV(t *testing.T) string {
	t.Helper()
	const rate = 24000
	samples := make([]int16, (toneLeadMS+toneMS+toneTrailMS)*rate/1000)
	start := toneLeadMS * rate / 1000
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

// checkAudioTurn checks the server VAD events for the tone: speech_started no later than the
// tone's start (prefix padding moves it earlier), speech_stopped after the tone's end and
// within the trailing silence, one item id throughout, then the commit and the response.
func checkAudioTurn(t *testing.T, r result) {
	t.Helper()
	events, s := parseEvents(t, r.stdout)
	checkResponse(t, ga, s)

	find := func(typ string) (eventLine, int) {
		i := slices.IndexFunc(events, func(e eventLine) bool { return e.Type == typ })
		if i < 0 {
			t.Fatalf("no %s event", typ)
		}
		return events[i], i
	}
	started, iStarted := find("input_audio_buffer.speech_started")
	stopped, iStopped := find("input_audio_buffer.speech_stopped")
	committed, iCommitted := find("input_audio_buffer.committed")
	_, iCreated := find("response.created")
	if !(iStarted < iStopped && iStopped < iCommitted && iCommitted < iCreated) {
		t.Errorf("want speech_started < speech_stopped < committed < response.created, have events %d, %d, %d, %d", iStarted, iStopped, iCommitted, iCreated)
	}
	if started.AudioStartMS == nil || *started.AudioStartMS < 0 || *started.AudioStartMS > toneLeadMS+100 {
		t.Errorf("speech_started.audio_start_ms = %v, want 0..%d (tone starts at %d ms, prefix padding may move it earlier)",
			deref(started.AudioStartMS), toneLeadMS+100, toneLeadMS)
	}
	toneEnd := toneLeadMS + toneMS
	if stopped.AudioEndMS == nil || *stopped.AudioEndMS < toneEnd || *stopped.AudioEndMS > toneEnd+toneTrailMS {
		t.Errorf("speech_stopped.audio_end_ms = %v, want %d..%d (tone ends at %d ms)",
			deref(stopped.AudioEndMS), toneEnd, toneEnd+toneTrailMS, toneEnd)
	}
	if started.ItemID == "" || stopped.ItemID != started.ItemID || committed.ItemID != started.ItemID {
		t.Errorf("item ids: speech_started %q, speech_stopped %q, committed %q; want one non-empty id", started.ItemID, stopped.ItemID, committed.ItemID)
	}
	if s.Counts["input_audio_buffer.speech_started"] != 1 {
		t.Errorf("%d speech_started events for one tone, want 1", s.Counts["input_audio_buffer.speech_started"])
	}
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
