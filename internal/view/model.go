package view

// Model is one session as the page draws it. Times are seconds since the
// upgrade; indexes into Events are called "ev".
type Model struct {
	Name     string `json:"name"`               // what the page calls the session: the file name, or SCENARIO [DIALECT]
	Source   string `json:"source,omitempty"`   // the file it was read from
	ID       string `json:"id,omitempty"`       // the service's session id
	Dialect  string `json:"dialect,omitempty"`  // preview or ga
	Provider string `json:"provider,omitempty"` // azure or openai
	Endpoint string `json:"endpoint,omitempty"` // the path and query the client asked for
	Recorder string `json:"recorder,omitempty"` // what wrote the file
	Created  string `json:"created,omitempty"`  // when the session started, RFC 3339

	End       float64    `json:"end"` // the end of the time axis
	Events    []Event    `json:"events"`
	Input     *Track     `json:"input,omitempty"` // the client's audio; nil when it sent none
	Items     []Item     `json:"items"`           // assistant audio items
	VAD       []Window   `json:"vad"`
	Responses []Response `json:"responses"`
	Truncates []Truncate `json:"truncates"`
	Faults    []Fault    `json:"faults"`
	Findings  []Finding  `json:"findings"`
	Notes     []string   `json:"notes"` // what the page should say about the data: a cut-short file, audio left out
}

// Event is one frame.
type Event struct {
	T    float64 `json:"t"`
	Dir  string  `json:"dir"`            // client or server
	Kind string  `json:"kind"`           // text, binary, close, error, http, dropped or fault (the cassette's frame kinds)
	Type string  `json:"type,omitempty"` // the event's type, for text frames holding a JSON event
	ID   string  `json:"id,omitempty"`   // event_id
	Item string  `json:"item,omitempty"` // item_id (or item.id) it refers to
	Resp string  `json:"resp,omitempty"` // response_id (or response.id) it refers to
	Ms   float64 `json:"ms,omitempty"`   // milliseconds of audio it carried
	Err  bool    `json:"err,omitempty"`  // an error event, a failed connection, an abnormal close or a refused upgrade
	Line int     `json:"line"`           // its line in the file (the header is line 1)
	// JSON is what the frame holds: the event as recorded with its audio
	// replaced by a marker of its size ("rtmock-elided:pcm16:4800"), or the
	// frame's member in the cassette ({"close":{…}}) for other kinds.
	JSON string `json:"json"`
}

// Track is audio placed on the time axis.
type Track struct {
	Format string `json:"format"` // the format it travelled in: pcm16, g711_ulaw or g711_alaw
	Rate   int    `json:"rate"`   // samples per second of Audio
	Ms     int    `json:"ms"`     // its length in milliseconds
	// Peaks are the waveform: for every PeakMs of audio, the lowest and
	// the highest sample scaled to -128..127, in turn.
	Peaks  []int8 `json:"peaks"`
	PeakMs int    `json:"peak_ms"`
	// Audio is the track for playback, base64 of G.711 µ-law at Rate; ""
	// when it was left out (Options.MaxAudio).
	Audio  string    `json:"audio,omitempty"`
	Elided int       `json:"elided,omitempty"` // ms of it that were elided in the file (drawn flat, silent)
	Segs   []Segment `json:"segs,omitempty"`   // where its parts sit on the time axis (the input track)
}

// Segment places the track's milliseconds A0..A1 on the time axis at
// T0..T1.
type Segment struct {
	T0 float64 `json:"t0"`
	T1 float64 `json:"t1"`
	A0 float64 `json:"a0"`
	A1 float64 `json:"a1"`
	Ev int     `json:"ev"` // the event that carried it
}

// Item is an assistant audio item, played in real time from its first
// delta.
type Item struct {
	ID       string  `json:"id"`
	Resp     string  `json:"resp,omitempty"`
	T        float64 `json:"t"`                    // time of its first audio delta: playback starts here
	Received float64 `json:"received"`             // ms of audio that arrived
	Played   float64 `json:"played"`               // ms heard: cut at the first truncate, else all it received
	Cut      int     `json:"cut"`                  // index into Truncates of the truncate that cut it, -1 when none
	Track    *Track  `json:"track"`                // its audio (no segments: it starts at T)
	Deltas   int     `json:"deltas"`               // audio deltas that carried it
	LastT    float64 `json:"last_t"`               // time of its last delta
	Response int     `json:"response"`             // index into Responses, -1 when unknown
	Status   string  `json:"status"`               // the final status of its response, "" when unknown
	Transcr  string  `json:"transcript,omitempty"` // the assistant's words, from its transcript deltas or done event
}

// Window is a VAD window: input_audio_buffer.speech_started until
// speech_stopped (or the end).
type Window struct {
	T0      float64 `json:"t0"`
	T1      float64 `json:"t1"`
	Start   int     `json:"start"`           // ev of speech_started
	Stop    int     `json:"stop"`            // ev of speech_stopped, -1 when it never came
	StartMs float64 `json:"start_ms"`        // audio_start_ms: on the input audio timeline
	EndMs   float64 `json:"end_ms"`          // audio_end_ms, -1 when it never came
	Item    string  `json:"item,omitempty"`  // the user item it became
	Barge   bool    `json:"barge,omitempty"` // it started while assistant audio was playing
}

// Response is a response's life: response.created until response.done.
type Response struct {
	ID      string   `json:"id"`
	T0      float64  `json:"t0"`
	T1      float64  `json:"t1"`      // response.done, or the end when it never came
	Created int      `json:"created"` // ev, -1 when it was not seen
	Done    int      `json:"done"`    // ev, -1 when it never came
	Status  string   `json:"status"`  // completed, cancelled, incomplete, failed; "" when it never finished
	Reason  string   `json:"reason,omitempty"`
	Items   []string `json:"items,omitempty"` // output item ids
}

// Truncate is a client conversation.item.truncate, against what had been
// played.
type Truncate struct {
	T     float64 `json:"t"`
	Ev    int     `json:"ev"`
	Item  string  `json:"item"`
	EndMs float64 `json:"end_ms"` // audio_end_ms as sent
	// CutT is where audio_end_ms falls on the time axis under the playback
	// model (the item's first delta + audio_end_ms); -1 when the item is
	// unknown.
	CutT float64 `json:"cut_t"`
	// PlayedMs and RecvMs are what the playback model had played and what
	// had arrived of the item when the truncate was sent.
	PlayedMs float64 `json:"played_ms"`
	RecvMs   float64 `json:"recv_ms"`
	Answer   int     `json:"answer"` // ev of conversation.item.truncated or the error that answered it, -1 when none
}

// Fault is something a fault (or a broken connection) left in the session.
type Fault struct {
	T    float64 `json:"t"`
	Ev   int     `json:"ev"`
	Kind string  `json:"kind"` // the fault's kind (drop, latency, disconnect, error…), or dropped, connection, refused
	Text string  `json:"text"`
}

// Finding is a failed conformance rule or expectation, pinned at its
// instant.
type Finding struct {
	T        float64 `json:"t"`
	Rule     string  `json:"rule"`
	Severity string  `json:"severity"` // error or warning
	Problem  string  `json:"problem"`
	Want     string  `json:"want,omitempty"`
	Frames   []Quote `json:"frames,omitempty"`
}

// Quote is a frame a finding quotes.
type Quote struct {
	T     float64 `json:"t"`
	Dir   string  `json:"dir"`
	Type  string  `json:"type,omitempty"`
	Frame string  `json:"frame"`
}
