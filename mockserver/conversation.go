package mockserver

import "github.com/rtmock/rtmock/audio"

// Content part kinds, dialect-neutral. Rendering maps assistant parts onto
// "text"/"audio" (preview) or "output_text"/"output_audio" (GA).
const (
	partInputText     = "input_text"
	partInputAudio    = "input_audio"
	partInputImage    = "input_image"
	partItemReference = "item_reference"
	partText          = "text"
	partAudio         = "audio"
)

type contentPart struct {
	Kind       string
	Text       string
	Transcript *string // audio parts; nil renders as null
	AudioBytes int     // audio parts: bytes of audio the part holds
	format     audio.Format
	Ref        string // item_reference id
	Extra      []byte // input_image and other passthrough parts, as JSON
	// The audio itself, for conversation.item.retrieved: the client's
	// bytes (pcm), or the tone an assistant part was generated from.
	pcm  []byte
	tone *audio.Tone
}

func (p *contentPart) audioMs() int {
	if p.AudioBytes == 0 {
		return 0
	}
	return p.AudioBytes / p.format.BytesPerMs()
}

// item is a conversation item.
type item struct {
	ID      string
	Type    string // message | function_call | function_call_output
	Role    string
	Status  string
	Content []contentPart
	CallID  string
	Name    string
	Args    string
	Output  string

	prev, next *item // the conversation's order
	tokens     int   // the estimate counted into conversation.tokens
	audioTok   int   // the part of tokens that is audio
}

// tokenCount estimates an item's tokens, and how many of them are audio:
// about 4 characters of text, or 100 ms of audio, each. The transcript of
// audio is not counted: the model reads the audio.
func (it *item) tokenCount() (total, audioTok int) {
	n := (len(it.Args) + len(it.Output)) / 4
	for _, p := range it.Content {
		a := p.audioMs() / 100
		audioTok += a
		n += len(p.Text)/4 + a
		if p.Transcript != nil && p.AudioBytes == 0 {
			n += len(*p.Transcript) / 4
		}
	}
	return max(n, 1), audioTok
}

// conversation is the ordered list of items with an index by id: inserting
// after any item, deleting and looking up are O(1), and the running token
// count is kept as items change, so a long conversation costs nothing per
// event (§4 ids; hardening: chaining 80,000 items by previous_item_id used
// to scan the list for every insert).
type conversation struct {
	head, tail *item
	byID       map[string]*item
	n          int
	tokens     int // sum of the items' tokens
	audio      int // sum of the items' audio tokens
}

func (c *conversation) init() { c.byID = map[string]*item{} }

func (c *conversation) get(id string) *item { return c.byID[id] }

func (c *conversation) lastID() string {
	if c.tail == nil {
		return ""
	}
	return c.tail.ID
}

// prevID is the id of the item before it, or "".
func (c *conversation) prevID(it *item) string {
	if it.prev == nil {
		return ""
	}
	return it.prev.ID
}

// insert adds it after the item prev ("" appends at the end, "root"
// inserts at the start; an unknown id appends).
func (c *conversation) insert(it *item, prev string) {
	c.byID[it.ID] = it
	c.n++
	it.tokens, it.audioTok = it.tokenCount()
	c.tokens += it.tokens
	c.audio += it.audioTok
	var after *item
	switch prev {
	case "":
		after = c.tail
	case "root":
	default:
		if after = c.byID[prev]; after == nil {
			after = c.tail
		}
	}
	c.linkAfter(it, after)
}

func (c *conversation) linkAfter(it, after *item) {
	if after == nil {
		it.prev, it.next = nil, c.head
		if c.head != nil {
			c.head.prev = it
		}
		c.head = it
		if c.tail == nil {
			c.tail = it
		}
		return
	}
	it.prev, it.next = after, after.next
	if after.next != nil {
		after.next.prev = it
	} else {
		c.tail = it
	}
	after.next = it
}

// remove deletes it from the conversation.
func (c *conversation) remove(it *item) {
	delete(c.byID, it.ID)
	c.n--
	c.tokens -= it.tokens
	c.audio -= it.audioTok
	if it.prev != nil {
		it.prev.next = it.next
	} else {
		c.head = it.next
	}
	if it.next != nil {
		it.next.prev = it.prev
	} else {
		c.tail = it.prev
	}
	it.prev, it.next = nil, nil
}

// retoken recounts an item's tokens after it changed.
func (c *conversation) retoken(it *item) {
	if c.byID[it.ID] != it {
		return
	}
	n, a := it.tokenCount()
	c.tokens += n - it.tokens
	c.audio += a - it.audioTok
	it.tokens, it.audioTok = n, a
}

// audioTokens is how many of the conversation's tokens are audio.
func (c *conversation) audioTokens() int { return c.audio }

// evictOldest drops items from the start until the conversation holds at
// most maxTokens, keeping at least the newest item. The service keeps only
// a context window's worth of a conversation in view (truncation "auto");
// rtmock also lets go of what falls out of it, so a client that adds items
// forever cannot grow a session without bound.
func (c *conversation) evictOldest(maxTokens int) {
	for c.tokens > maxTokens && c.head != nil && c.head != c.tail {
		c.remove(c.head)
	}
}
