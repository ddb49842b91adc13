package cassette

import "time"

// A loaded cassette keeps its frames compactly, since a cassette of many
// small frames would otherwise take several times its size in memory (a
// Frame is over 100 bytes before its payload, and each payload was an
// allocation of its own):
//
//   - text and binary frames are 32-byte records: time, direction, kind,
//     the event's type as an index into a table of the distinct types, and
//     where the payload is;
//   - payloads are packed back to back in a few large chunks, so they cost
//     their bytes and nothing per frame;
//   - the records themselves live in fixed-size blocks, so growing never
//     copies them;
//   - the rare other frames (close, error, http, dropped, fault) are kept whole.
//
// Frame(i) puts a Frame together from its record without allocating.

const (
	recBlock     = 1 << 14 // records per block: 512 KiB
	payloadChunk = 4 << 20 // bytes per payload chunk; larger payloads get a chunk of their own
)

// frameRec is one frame of a loaded cassette.
type frameRec struct {
	t      time.Duration
	chunk  uint32 // payload chunk, or the index in extras when extra
	off, n uint32 // the payload in its chunk
	typ    uint32 // index in types
	server bool
	kind   Kind
	extra  bool
}

// frameStore holds a loaded cassette's frames.
type frameStore struct {
	blocks [][]frameRec
	n      int
	chunks [][]byte
	types  []string // types[0] is ""
	extras []Frame

	fill      int               // the chunk small payloads go to, -1 before the first
	typeIndex map[string]uint32 // while loading
}

func newFrameStore() *frameStore {
	return &frameStore{types: []string{""}, fill: -1, typeIndex: map[string]uint32{}}
}

func (s *frameStore) len() int { return s.n }

// add appends f, copying its payload.
func (s *frameStore) add(f Frame) {
	if s.n%recBlock == 0 {
		s.blocks = append(s.blocks, make([]frameRec, 0, recBlock))
	}
	b := &s.blocks[len(s.blocks)-1]
	if f.Kind != KindText && f.Kind != KindBinary {
		f.Data = append([]byte(nil), f.Data...)
		*b = append(*b, frameRec{t: f.T, chunk: uint32(len(s.extras)), extra: true})
		s.extras = append(s.extras, f)
		s.n++
		return
	}
	chunk, off := s.payload(f.Data)
	*b = append(*b, frameRec{t: f.T, chunk: chunk, off: off, n: uint32(len(f.Data)), typ: s.intern(f.Type), server: f.Dir == Server, kind: f.Kind})
	s.n++
}

// payload copies data into the chunks and says where it went.
func (s *frameStore) payload(data []byte) (chunk, off uint32) {
	if len(data) > payloadChunk/4 {
		s.chunks = append(s.chunks, append([]byte(nil), data...))
		return uint32(len(s.chunks) - 1), 0
	}
	if s.fill < 0 || len(s.chunks[s.fill])+len(data) > cap(s.chunks[s.fill]) {
		s.chunks = append(s.chunks, make([]byte, 0, payloadChunk))
		s.fill = len(s.chunks) - 1
	}
	off = uint32(len(s.chunks[s.fill]))
	s.chunks[s.fill] = append(s.chunks[s.fill], data...)
	return uint32(s.fill), off
}

func (s *frameStore) intern(typ string) uint32 {
	if typ == "" {
		return 0
	}
	if i, ok := s.typeIndex[typ]; ok {
		return i
	}
	i := uint32(len(s.types))
	s.types = append(s.types, typ)
	s.typeIndex[typ] = i
	return i
}

// done ends loading.
func (s *frameStore) done() { s.typeIndex = nil }

// frame puts frame i together. Its Data is shared with the store.
func (s *frameStore) frame(i int) Frame {
	if i < 0 || i >= s.n {
		panic("cassette: frame index out of range")
	}
	r := &s.blocks[i/recBlock][i%recBlock]
	if r.extra {
		f := s.extras[r.chunk]
		f.T = r.t
		return f
	}
	dir := Client
	if r.server {
		dir = Server
	}
	end := r.off + r.n
	return Frame{T: r.t, Dir: dir, Kind: r.kind, Data: s.chunks[r.chunk][r.off:end:end], Type: s.types[r.typ]}
}
