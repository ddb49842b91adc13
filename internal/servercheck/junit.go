package servercheck

import (
	"encoding/xml"
	"io"
	"strings"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML for CI systems: one suite per
// dialect, one test case per exchange, failed with the first problem or
// violation as its message and all of them, frames quoted, as its text.
func (r *Report) WriteJUnit(w io.Writer) error {
	js := junitSuites{Name: "rtmock conformance --server " + r.URL}
	at := map[string]int{}
	for _, x := range r.Results {
		i, ok := at[x.Dialect]
		if !ok {
			i = len(js.Suites)
			at[x.Dialect] = i
			js.Suites = append(js.Suites, junitSuite{Name: "server." + x.Dialect})
		}
		s := &js.Suites[i]
		c := junitCase{Name: x.Exchange, Classname: "servercheck." + x.Dialect}
		if x.Failed() {
			all := append(append([]string(nil), x.Problems...), x.Violations...)
			kind := "problem"
			if len(x.Problems) == 0 {
				kind = "violation"
			}
			c.Failure = &junitFailure{Message: all[0], Type: kind, Text: strings.Join(all, "\n")}
			s.Failures++
			js.Failures++
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
		js.Tests++
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(js); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
