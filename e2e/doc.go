// Package e2e tests the rtmock binary end to end with real third-party realtime clients: the
// Azure quickstart program on rt-client, the openai package's beta and GA realtime WebSocket
// clients (Azure and OpenAI forms), and @openai/agents-realtime.
//
// The clients are Node.js programs in this folder, pinned by package-lock.json and installed
// by install.sh. The test builds cmd/rtmock, starts "rtmock serve" on a loopback port, runs
// each program with the endpoint and key in the environment variables the SDKs read, and
// checks what the programs print. It needs node on PATH and e2e/node_modules; without them
// it fails, unless RTMOCK_SKIP_E2E=1 is set.
package e2e
