package scenarios

import (
	"bytes"
	"io"

	"gopkg.in/yaml.v3"
)

// A YAML node costs about 200 bytes, so a file of many small turns parsed
// into one tree needs some 40 times its size. From chunkMin bytes on, Parse
// reads a file a piece at a time instead: each top-level key is parsed on
// its own, and a long block sequence under one (the turns) an item at a
// time, each item's nodes dropped once it is decoded and checked.
//
// The pieces are cut at lines that can only start a top-level key or an
// item in a valid file: a key at column 0, or "- " at the list's
// indentation. A cut that falls inside a quoted scalar or a flow
// collection leaves that piece unterminated, and a piece that does not
// parse, or parses into something else than it should, sends the whole
// file back to the one-tree parse, whose messages and positions are the
// reference. So a file reads the same either way; the tests compare both.

const (
	// chunkMin is the size from which Parse reads a file in pieces.
	chunkMin = 256 << 10
	// splitMin is the size from which a top-level list is read an item at
	// a time.
	splitMin = 64 << 10
)

// span is a range of whole lines of the file.
type span struct {
	start, end int // byte offsets
	line       int // the 1-based line of start
}

// lazyList is a block sequence whose items are parsed when decoded.
type lazyList struct {
	items []span
	first pos  // the "-" of the first item
	read  bool // decoded, so every item parsed
}

// pieces parses data a top-level key at a time into a root mapping whose
// long lists are placeholders, registered in d.lazy. It returns nil when
// the file cannot be read that way.
func (d *decoder) pieces(data []byte, split int) *yaml.Node {
	tops := topSpans(data)
	if tops == nil {
		return nil
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, s := range tops {
		key, list := splitItems(data, s, split)
		if list == nil {
			n := parsePiece(data, s, yaml.MappingNode)
			if n == nil {
				return nil
			}
			root.Content = append(root.Content, n.Content...)
			continue
		}
		k := parsePiece(data, key, yaml.MappingNode)
		if k == nil || len(k.Content) != 2 || !isNull(k.Content[1]) {
			return nil
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: list.first.line, Column: list.first.col}
		d.lazy[seq] = list
		root.Content = append(root.Content, k.Content[0], seq)
	}
	root.Line, root.Column = root.Content[0].Line, root.Content[0].Column
	return root
}

// topSpans cuts data before every top-level key. It returns nil when a
// line at column 0 is anything else than a key, a comment or an item of a
// list written at column 0, or when the file has line breaks other than
// "\n".
func topSpans(data []byte) []span {
	if bytes.ContainsAny(data, "\r\u0085\u2028\u2029") {
		return nil
	}
	var tops []span
	line := 0
	for off := 0; off < len(data); {
		end := lineEnd(data, off)
		line++
		switch c := data[off]; {
		case c == ' ' || c == '\n' || c == '#':
		case c == '-' && (off+1 == end || data[off+1] == ' ' || data[off+1] == '\n'):
			if tops == nil {
				return nil // a document that is a list
			}
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_':
			if tops != nil {
				tops[len(tops)-1].end = off
			}
			tops = append(tops, span{start: off, line: line})
		default:
			return nil
		}
		off = end
	}
	if tops == nil {
		return nil
	}
	// Comments before the first key belong to it.
	tops[0].start, tops[0].line = 0, 1
	tops[len(tops)-1].end = len(data)
	return tops
}

// lineEnd returns the offset just past the line at off and its "\n".
func lineEnd(data []byte, off int) int {
	if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(data)
}

// indentOf counts the spaces that start line.
func indentOf(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

// isItemLine reports whether line is "- …" (or "-" alone) at indent.
func isItemLine(line []byte, indent int) bool {
	if indentOf(line) != indent || len(line) <= indent || line[indent] != '-' {
		return false
	}
	rest := line[indent+1:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\n'
}

// isKeyOnly reports whether line is "key:" with nothing after but spaces
// and a comment.
func isKeyOnly(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	rest := bytes.TrimLeft(line[i+1:], " ")
	return len(rest) == 0 || rest[0] == '\n' || rest[0] == '#'
}

// splitItems cuts a long top-level key whose value is a block sequence into
// its key line and one span per item. It returns a nil list when s is
// shorter than minSize bytes, or its value is anything else.
func splitItems(data []byte, s span, minSize int) (key span, list *lazyList) {
	if s.end-s.start < minSize {
		return s, nil
	}
	off, line := s.start, s.line
	for ; off < s.end; line++ { // blank lines and comments before the key
		end := lineEnd(data, off)
		if l := bytes.TrimLeft(data[off:end], " "); len(l) > 0 && l[0] != '\n' && l[0] != '#' {
			break
		}
		off = end
	}
	keyEnd := lineEnd(data, off)
	if !isKeyOnly(data[off:keyEnd]) {
		return s, nil
	}
	// The key's span starts with the comments before it, so that every
	// byte of the file is parsed (and its encoding checked) once.
	key = span{start: s.start, end: keyEnd, line: s.line}
	indent := -1
	var items []span
	line0 := line
	for off, line = keyEnd, line+1; off < s.end; line++ {
		end := lineEnd(data, off)
		l := data[off:end]
		n := indentOf(l)
		switch {
		case n == len(l) || l[n] == '\n' || l[n] == '#':
			// blank or a comment: part of the item before
		case indent < 0 && isItemLine(l, n):
			indent = n
			items = append(items, span{start: off, line: line})
		case indent >= 0 && isItemLine(l, indent):
			items[len(items)-1].end = off
			items = append(items, span{start: off, line: line})
		case indent < 0 || n <= indent:
			return s, nil
		}
		off = end
	}
	if len(items) == 0 {
		return s, nil
	}
	first := pos{items[0].line, indent + 1}
	items[0].start, items[0].line = keyEnd, line0+1 // with the comments before it
	items[len(items)-1].end = s.end
	return key, &lazyList{items: items, first: first}
}

// parsePiece parses the lines of s alone and returns the root of their
// document, with lines counted in the whole file, or nil when they do not
// parse into a node of the given kind.
func parsePiece(data []byte, s span, kind yaml.Kind) (root *yaml.Node) {
	defer func() {
		if recover() != nil {
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data[s.start:s.end]))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != kind {
		return nil
	}
	if err := dec.Decode(&extra); err != io.EOF {
		return nil // more than one document: the piece is not what it seemed
	}
	shiftLines(doc.Content[0], s.line-1)
	return doc.Content[0]
}

// shiftLines adds by to the line of n and of everything in it.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// eachLazy parses the items of l one at a time and calls each with them.
// It stops and marks the decoder abandoned at an item that does not parse
// as one list item.
func (d *decoder) eachLazy(l *lazyList, each func(item *yaml.Node) bool) {
	l.read = true
	for _, s := range l.items {
		seq := parsePiece(d.data, s, yaml.SequenceNode)
		if seq == nil || len(seq.Content) != 1 {
			d.abandoned = true
			return
		}
		if !each(seq.Content[0]) {
			return
		}
	}
}

// readRest parses the lists that decoding skipped (under a duplicated or
// unknown key): a file read whole would have failed on a piece that does
// not parse.
func (d *decoder) readRest() {
	for _, l := range d.lazy {
		if !l.read && !d.abandoned {
			d.eachLazy(l, func(*yaml.Node) bool { return true })
		}
	}
}
