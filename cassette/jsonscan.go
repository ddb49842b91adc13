package cassette

import "github.com/rtmock/rtmock/realtime"

// The cassette format reads and checks JSON with the project's one
// scanner, in package realtime; these names keep the reader short.

type scanner = realtime.Scanner

type scanError = realtime.SyntaxError

func skipSpace(b []byte, i int) int { return realtime.SkipSpace(b, i) }

func validLine(b []byte) bool { return realtime.ValidLine(b) }

func appendUnquoted(dst, s []byte) ([]byte, error) { return realtime.AppendUnquoted(dst, s) }
