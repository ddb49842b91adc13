// Command rtmock serves a simulated Azure OpenAI / OpenAI Realtime API for
// offline tests: see "rtmock --help".
package main

import (
	"os"

	"github.com/rtmock/rtmock/internal/cli"
)

func main() { os.Exit(cli.Main()) }
