// Package e2e tests the rtmock binary end to end with real third-party realtime clients: the
// Azure quickstart program on rt-client, the openai package's beta and GA realtime WebSocket
// clients (Azure and OpenAI forms), and @openai/agents-realtime, over text turns, a voice turn
// streamed in real time through server VAD, and a barge-in the client truncates.
//
// The clients are Node.js programs in this folder, pinned by package-lock.json and installed
// by install.sh. The test builds cmd/rtmock and starts one "rtmock serve" per scenario on a
// loopback port, which answers ws:// and wss:// on the same port with a self-signed
// certificate (--ca-file). It runs each program with the endpoint and key in the environment
// variables the SDKs read: the https:// URL with NODE_EXTRA_CA_CERTS for every client (the
// openai package dials only wss://), and the http:// URL too for the quickstart. Then it
// checks what the programs print. It needs node on PATH and e2e/node_modules; without them it
// fails, unless RTMOCK_SKIP_E2E=1 is set.
package e2e
