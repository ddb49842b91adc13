// Command k8sschema writes the JSON schemas kubeconform validates against,
// offline, from the OpenAPI document of a Kubernetes release: the
// api/openapi-spec/swagger.json of the k8s.io/kubernetes module, which the
// Go module proxy serves. kubeconform would otherwise download its schemas
// (generated from that same document) from the network.
//
// Each kind becomes one standalone strict schema named as kubeconform's
// default location names them, KIND-GROUP-VERSION.json (KIND-VERSION.json
// for the core group): references are inlined, objects allow no property
// the API does not define, int-or-string fields take either, quantities
// take strings or numbers.
//
// Usage: go run ./k8sschema -swagger swagger.json -out DIR
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const (
	intOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
	quantity    = "io.k8s.apimachinery.pkg.api.resource.Quantity"
)

type schema = map[string]any

func main() {
	swagger := flag.String("swagger", "", "the Kubernetes OpenAPI v2 document (api/openapi-spec/swagger.json)")
	out := flag.String("out", "", "directory to write the schemas into")
	flag.Parse()
	if *swagger == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	n, err := run(*swagger, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8sschema:", err)
		os.Exit(1)
	}
	fmt.Printf("k8sschema: %d kinds from %s into %s\n", n, *swagger, *out)
}

func run(swagger, out string) (int, error) {
	b, err := os.ReadFile(swagger)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Definitions map[string]schema `json:"definitions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("%s: %w", swagger, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	n := 0
	for name, def := range doc.Definitions {
		gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk, _ := g.(schema)
			group, _ := gvk["group"].(string)
			version, _ := gvk["version"].(string)
			kind, _ := gvk["kind"].(string)
			if kind == "" || version == "" {
				continue
			}
			s := expand(def, doc.Definitions, []string{name})
			apiVersion := version
			file := strings.ToLower(kind)
			if group != "" {
				apiVersion = group + "/" + version
				file += "-" + strings.ToLower(strings.Split(group, ".")[0])
			}
			file += "-" + strings.ToLower(version) + ".json"
			if props, ok := s["properties"].(schema); ok {
				props["kind"] = schema{"type": "string", "enum": []any{kind}}
				props["apiVersion"] = schema{"type": "string", "enum": []any{apiVersion}}
			}
			s["$schema"] = "http://json-schema.org/schema#"
			data, err := json.MarshalIndent(s, "", "  ")
			if err != nil {
				return n, err
			}
			if err := os.WriteFile(filepath.Join(out, file), data, 0o644); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// expand inlines the references of s; path holds the definitions being
// expanded, so that a recursive type ends in an open schema.
func expand(s schema, defs map[string]schema, path []string) schema {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/definitions/")
		switch {
		case name == intOrString:
			return schema{"oneOf": []any{schema{"type": "string"}, schema{"type": "integer"}}}
		case name == quantity:
			return schema{"oneOf": []any{schema{"type": "string"}, schema{"type": "number"}}}
		}
		for _, p := range path {
			if p == name {
				return schema{} // recursion: accept anything below here
			}
		}
		d, ok := defs[name]
		if !ok {
			return schema{}
		}
		return expand(d, defs, append(path, name))
	}
	if f, _ := s["format"].(string); f == "int-or-string" {
		return schema{"oneOf": []any{schema{"type": "string"}, schema{"type": "integer"}}}
	}
	out := schema{}
	for k, v := range s {
		switch k {
		case "properties":
			props := schema{}
			for name, p := range v.(schema) {
				props[name] = expand(p.(schema), defs, path)
			}
			out[k] = props
		case "items", "additionalProperties":
			if sub, ok := v.(schema); ok {
				out[k] = expand(sub, defs, path)
			} else {
				out[k] = v
			}
		case "x-kubernetes-group-version-kind":
		default:
			out[k] = v
		}
	}
	if _, ok := out["properties"]; ok {
		if _, set := out["additionalProperties"]; !set {
			out["additionalProperties"] = false // strict: a misspelt field is an error
		}
	}
	return out
}
