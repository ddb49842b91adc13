// Command rtrecord records realtime sessions between an app and Azure OpenAI
// or OpenAI as cassettes that rtmock can replay. Run rtrecord --help.
package main

import (
	"os"

	"github.com/rtmock/rtmock/internal/cli"
)

func main() { os.Exit(cli.RecordMain()) }
