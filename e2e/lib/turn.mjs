// Shared plumbing for the e2e scripts: read the environment, print one JSON line per server
// event, collect a summary, and decide the exit code.
//
// Output contract (read by e2e_test.go):
//   one line per server event   {"type":"…"}                       plus
//                                "bytes":N     for audio deltas (decoded size)
//                                "delta":"…"   for transcript and text deltas
//                                "error":{…}   for error events
//                                the *_ms fields, item_id and status where the event has them
//   last line                   {"summary":{"counts":{type:n},"sequence":[types in order],
//                                "audio_bytes":N,"audio_chunks":[sizes],"transcript":"…",
//                                "errors":[codes],"response_status":"…"}}
// Exit status: 0 after response.done; 1 on an error event not listed in --allow-error=CODE,
// a transport error, a close before response.done, or the timeout.
import net from 'node:net';

export const DEFAULT_TIMEOUT_MS = 10_000;

// The event types whose `delta` is base64 audio, in both dialects.
const AUDIO_DELTAS = new Set(['response.audio.delta', 'response.output_audio.delta']);
// The event types whose `delta` is assistant text (spoken transcript or text output).
const TEXT_DELTAS = new Set([
  'response.audio_transcript.delta',
  'response.output_audio_transcript.delta',
  'response.text.delta',
  'response.output_text.delta',
]);
// Fields worth printing as they are, when present.
const PLAIN_FIELDS = ['audio_start_ms', 'audio_end_ms', 'item_id', 'content_index'];

/** Reads a variable the SDKs read too, failing loudly when it is missing. */
export function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    fail(`${name} is not set`);
  }
  return value;
}

/** Parses the --allow-error=CODE arguments every script accepts. */
export function allowedErrors(argv = process.argv.slice(2)) {
  return new Set(argv.filter((a) => a.startsWith('--allow-error=')).map((a) => a.slice('--allow-error='.length)));
}

/** The positional arguments, without the --flags. */
export function positionalArgs(argv = process.argv.slice(2)) {
  return argv.filter((a) => !a.startsWith('--'));
}

/**
 * ws client options for the openai package's realtime helpers.
 *
 * openai 7.x always dials wss:// (realtime/internal-base buildRealtimeURL sets url.protocol to
 * "wss"), even for an http:// endpoint. When the endpoint is plain http on loopback, hand
 * ws a plain TCP connection so the TLS layer is skipped; the request line, query and headers
 * are still built by the SDK. For an https:// endpoint nothing is changed (trust the mock's
 * certificate with NODE_EXTRA_CA_CERTS).
 */
export function socketOptionsFor(endpoint) {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:') {
    return undefined;
  }
  return { createConnection: (opts) => net.connect({ host: opts.host, port: opts.port }) };
}

/** Prints a diagnostic on stderr and exits 1. */
export function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * Collects server events until response.done and prints them.
 *
 * `until` decides which response.done ends the run (default: the first).
 * Returns a Promise that settles with the summary, or exits the process on failure.
 */
export class Collector {
  constructor({ allow = new Set(), timeoutMs = DEFAULT_TIMEOUT_MS, until = () => true } = {}) {
    this.allow = allow;
    this.until = until;
    this.summary = {
      counts: {},
      sequence: [],
      audio_bytes: 0,
      audio_chunks: [],
      transcript: '',
      errors: [],
      response_status: null,
    };
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.timer = setTimeout(() => this.reject(new Error(`timeout: no response.done within ${timeoutMs} ms`)), timeoutMs);
  }

  /** Records one server event (the parsed JSON object). */
  event(ev) {
    const s = this.summary;
    const line = { type: ev.type };
    s.counts[ev.type] = (s.counts[ev.type] ?? 0) + 1;
    s.sequence.push(ev.type);
    if (AUDIO_DELTAS.has(ev.type)) {
      const n = Buffer.from(ev.delta ?? '', 'base64').length;
      line.bytes = n;
      s.audio_bytes += n;
      s.audio_chunks.push(n);
    } else if (TEXT_DELTAS.has(ev.type)) {
      line.delta = ev.delta;
      s.transcript += ev.delta ?? '';
    }
    for (const f of PLAIN_FIELDS) {
      if (ev[f] !== undefined) line[f] = ev[f];
    }
    if (ev.type === 'error') {
      line.error = ev.error;
      s.errors.push(ev.error?.code ?? null);
    }
    if (ev.type === 'response.done') {
      line.status = ev.response?.status;
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);

    if (ev.type === 'error' && !this.allow.has(ev.error?.code)) {
      this.reject(new Error(`unexpected error event: ${JSON.stringify(ev.error)}`));
    }
    if (ev.type === 'response.done' && this.until(ev)) {
      s.response_status = ev.response?.status ?? null;
      this.resolve(s);
    }
  }

  /** Records a transport failure (socket error, early close). */
  transportError(err) {
    this.reject(err instanceof Error ? err : new Error(String(err)));
  }

  /**
   * Waits for the end of the turn, then prints the summary and exits.
   * `close` is called in both cases and may return a Promise.
   */
  async finish(close) {
    let code = 0;
    try {
      await this.done;
    } catch (err) {
      process.stderr.write(`${err.message}\n`);
      code = 1;
    }
    clearTimeout(this.timer);
    process.stdout.write(`${JSON.stringify({ summary: this.summary })}\n`);
    try {
      await Promise.race([close(), new Promise((r) => setTimeout(r, 2000))]);
    } catch (err) {
      process.stderr.write(`close: ${err.message}\n`);
    }
    process.exit(code);
  }
}

/** Closes an openai-package OpenAIRealtimeWS (1000 "OK") and resolves when the socket is closed. */
export function closeRealtimeWS(rt) {
  return new Promise((resolve) => {
    if (rt.socket.readyState === rt.socket.CLOSED) return resolve();
    rt.socket.removeAllListeners('close');
    rt.socket.once('close', resolve);
    rt.close();
  });
}
