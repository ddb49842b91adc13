package scenarios

import (
	_ "embed"
	"slices"
)

//go:embed schema.json
var schemaJSON []byte

// Schema returns a JSON Schema (draft 2020-12) of the scenario language, for
// editors that check and complete YAML against a schema. It is generated
// from the table the decoder checks keys against, so it knows every key; the
// checks the schema cannot express (durations in range, contradictions
// between keys) are the decoder's alone. The caller may modify the result.
func Schema() []byte { return slices.Clone(schemaJSON) }
