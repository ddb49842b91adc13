package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// This file is the YAML layer of the decoder: it parses a file into nodes
// and words the parser's own errors.

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses data into its single document's root node, or records
// why it cannot.
func (d *decoder) parseYAML(data []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			d.add(pos{1, 0}, "", "", fmt.Sprintf("invalid YAML: the parser failed: %v", r))
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(pos{1, 1}, "", "a scenario has at least a name or turns", "empty file")
		} else {
			d.yamlError(err, data)
		}
		return nil
	}
	if len(doc.Content) == 0 {
		d.add(pos{1, 1}, "", "a scenario has at least a name or turns", "empty file")
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil && emptyDocument(&extra):
	case err == nil:
		d.add(pos{max(extra.Line, 1), 1}, "", "put each scenario in its own file", "a second YAML document")
	case !errors.Is(err, io.EOF):
		d.yamlError(err, data)
	}
	root = doc.Content[0]
	d.setPos("", root)
	return root
}

// emptyDocument reports whether doc holds nothing, as after a trailing "---".
func emptyDocument(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && n.Value == ""
}

// yamlError turns a yaml.v3 parser error into an Error with a line.
func (d *decoder) yamlError(err error, data []byte) {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
		line = locateProblem(data)
	}
	line = min(max(line, 1), d.lines)
	hint := ""
	switch {
	case strings.Contains(msg, "cannot start any token") && lineHasTab(data, line):
		hint = "indent with spaces, not tabs"
	case strings.Contains(msg, "mapping values are not allowed"):
		hint = `quote values that contain ": "`
	case strings.Contains(msg, "did not find expected key"):
		hint = "check the indentation of this line and the ones before it"
	}
	d.add(pos{line, 0}, "", hint, "invalid YAML: "+msg)
}

// countLines counts lines as YAML does: "\n", "\r\n", "\r" and the Unicode
// line breaks NEL, LS and PS each end a line.
func countLines(data []byte) int {
	n := 1
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			n++
		case data[i] == '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			n++
		case data[i] == 0xc2 && i+1 < len(data) && data[i+1] == 0x85:
			n++
			i++
		case data[i] == 0xe2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xa8 || data[i+2] == 0xa9):
			n++
			i += 2
		}
	}
	return n
}

// locateProblem finds the line of the first byte yaml.v3 rejects without
// saying where: invalid UTF-8 or a control character.
func locateProblem(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return countLines(data[:i])
		}
		i += size
	}
	return 1
}

func lineHasTab(data []byte, line int) bool {
	lines := bytes.Split(data, []byte("\n"))
	return line >= 1 && line <= len(lines) && bytes.ContainsRune(lines[line-1], '\t')
}

// describe names the kind of a node for type errors.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!timestamp":
		return "a date"
	case "!!binary":
		return "binary data"
	}
	return "a value tagged " + n.Tag
}
