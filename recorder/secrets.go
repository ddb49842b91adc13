package recorder

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rtmock/rtmock/cassette"
)

// Where secrets are scrubbed
//
// A credential is scrubbed where credentials are: the api-key and
// Authorization headers are not recorded, credential query parameters are
// recorded as [REDACTED] (found by name, whatever their encoding),
// openai-insecure-api-key.* subprotocols as openai-insecure-api-key.[REDACTED].
// The conversation itself, every text and binary frame, is never searched
// for a credential's value: a key such as "1" or "anything" would otherwise
// turn ids, base64 audio and ordinary words into [REDACTED], and replay
// would serve the damage.
//
// The recorder's own texts (log lines, error messages, the 502 body, the
// reasons of close and error frames, the body and headers of a refused
// upgrade, the cassette header's values) are scrubbed twice: URLs in them
// lose their credential parameters by name, and each credential that is
// safe to look for (unsafeToScrub) is replaced wherever it appears. A
// credential too short or too plain for that is only scrubbed where it
// stands, and the log says so.
//
// Values given in Options.Redact are the user's explicit choice: they are
// replaced everywhere, conversation included, whatever they are; the log
// warns when one is short or plain enough to change ordinary text.

// minScrubLen is the shortest credential searched for by value.
const minScrubLen = 12

// unsafeToScrub says why replacing v wherever it appears would damage
// ordinary text, or "" when it is safe: v must be at least minScrubLen
// bytes and be neither a number nor word-like (letters, spaces and
// - _ . ' only). Real keys and tokens (32 hex digits, sk-…, JWTs) pass.
func unsafeToScrub(v string) string {
	if len(v) < minScrubLen {
		return "is shorter than " + strconv.Itoa(minScrubLen) + " characters"
	}
	digits, wordy := true, true
	for _, r := range v {
		if !unicode.IsDigit(r) {
			digits = false
		}
		if !unicode.IsLetter(r) && !strings.ContainsRune(" -_.'", r) {
			wordy = false
		}
	}
	switch {
	case digits:
		return "is a plain number"
	case wordy:
		return "is a plain word"
	}
	return ""
}

// scrubbable returns v in a list when it is safe to scrub by value, and
// otherwise logs why it is not and returns nil.
func (rec *Recorder) scrubbable(what, v string) []string {
	if v == "" {
		return nil
	}
	if why := unsafeToScrub(v); why != "" {
		rec.log.Warn(what+" "+why+": it is kept out of cassettes where credentials are (headers, query, subprotocols), but not searched for in the recorder's logs and messages, where it could stand for ordinary text",
			"length", len(v))
		return nil
	}
	return []string{v}
}

// isSecretParam reports whether a query parameter, by its decoded name,
// holds a credential.
func isSecretParam(name string) bool {
	switch strings.ToLower(name) {
	case "api-key", "api_key", "apikey", "authorization", "access_token", "token", "key":
		return true
	}
	return false
}

// redactQuery replaces the values of credential parameters in a raw query,
// found by their decoded names, so that an encoded name (%61pi-key) or
// value (%73k-…) is caught as well. Other parameters stay byte for byte.
func redactQuery(raw string) string {
	var b strings.Builder
	for raw != "" {
		end := strings.IndexAny(raw, "&;")
		piece, sep := raw, ""
		if end >= 0 {
			piece, sep, raw = raw[:end], raw[end:end+1], raw[end+1:]
		} else {
			raw = ""
		}
		k, _, hasValue := strings.Cut(piece, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && isSecretParam(name) {
			piece = k + "=" + cassette.Redacted
		}
		b.WriteString(piece)
		b.WriteString(sep)
	}
	return b.String()
}

// redactURL is u (a URL string) with its credential parameters replaced.
func redactURL(u string) string {
	base, q, ok := strings.Cut(u, "?")
	if !ok {
		return u
	}
	return base + "?" + redactQuery(q)
}

// secretParamRE finds credential parameters written plainly in any text,
// as a last resort for URLs that reached a message in another form.
var secretParamRE = regexp.MustCompile(`(?i)\b(api[-_]?key|authorization|access_token|token|key)(=|%3d)[^&;\s"'\\]*`)

// scrubURLs replaces the credential parameters of rawQuery wherever the
// query appears in msg, as it is or quoted as Go quotes strings (url.Error
// does), and then any plainly named credential parameter.
func scrubURLs(msg, rawQuery string) string {
	if rawQuery != "" {
		if red := redactQuery(rawQuery); red != rawQuery {
			msg = strings.ReplaceAll(msg, rawQuery, red)
			q, qr := strconv.Quote(rawQuery), strconv.Quote(red)
			msg = strings.ReplaceAll(msg, q[1:len(q)-1], qr[1:len(qr)-1])
		}
	}
	return secretParamRE.ReplaceAllString(msg, "${1}${2}"+cassette.Redacted)
}

// maxLogValue is how much of a value that came from a client or the
// upstream goes into a log line or an error message.
const maxLogValue = 256

// clip cuts s to at most n bytes at a character boundary, saying how long
// it was: values from the network can be megabytes long.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
