// Package webrtc tests the WebRTC transport (mockserver/rtc) with a real
// browser: Debian's chromium, headless, driven over the DevTools protocol
// (chromedp), with a fake microphone that plays the speech fixture
// (audio/testdata/speech-24k.wav).
//
// Two pages make the calls, as the client code they imitate does:
// agents.html uses @openai/agents-realtime's WebRTC transport (the bundle
// pinned in e2e/package-lock.json), and quickstart.html is plain
// RTCPeerConnection code in the style of Azure's WebRTC how-to, in its GA
// and preview versions. harness.js measures what a page received and
// publishes it for the test.
//
// The calls go to an rtc.Handler with the stand-in session of package
// rtctest (the session core binds to the transport later): it detects the
// speech in the decoded microphone audio and answers with a 1 s tone. The
// pages are served from another origin than the mock's, so the CORS answers
// are exercised as a real page would.
//
// The test installs chromium with scripts/install-chromium when it is
// missing, and skips, saying why, only when that cannot be done. It needs
// e2e/node_modules (e2e/install.sh) for the agents bundle.
package webrtc
