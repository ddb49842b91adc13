// Shared plumbing for the e2e scripts: read the environment, print one JSON line per server
// event, collect a summary, and decide the exit code.
//
// Output contract (read by e2e_test.go):
//   one line per server event   {"type":"…"}                       plus
//                                "bytes":N     for audio deltas (decoded size)
//                                "delta":"…"   for transcript and text deltas
//                                "error":{…}   for error events
//                                "item":{id,type,role,status} for events that carry an item
//                                "turn_detection":{…}, "session_type" for session.created and session.updated
//                                "transcript" where the event has one; "delta" for input transcription deltas
//                                "status", "reason" for response.done
//                                the *_ms fields, item_id and content_index where the event has them
//   one line per client event   {"client":{"type":"…",…}} for the events a script sends in
//                                reaction to the server (the ones the test asserts on), plus
//                                "why":{…}, what the script based the event on
//   last line                   {"summary":{"counts":{type:n},"sequence":[types in order],
//                                "audio_bytes":N,"audio_chunks":[sizes],"transcript":"…",
//                                "errors":[codes],"response_status":"…"}}
//                                (response_status is that of the last response.done)
// Exit status: 0 once the script's end condition is met (by default the first response.done);
// 1 on an error event not listed in --allow-error=CODE, a transport error, a close before the
// end, or the timeout.
import { AzureOpenAI } from 'openai';

export const DEFAULT_TIMEOUT_MS = 10_000;

// PCM16 mono at 24 kHz, the realtime API's default audio format.
export const BYTES_PER_MS = 48;

// The event types whose `delta` is base64 audio, in both dialects.
export const AUDIO_DELTAS = new Set(['response.audio.delta', 'response.output_audio.delta']);
// The event types whose `delta` is assistant text (spoken transcript or text output).
const TEXT_DELTAS = new Set([
  'response.audio_transcript.delta',
  'response.output_audio_transcript.delta',
  'response.text.delta',
  'response.output_text.delta',
]);
// Fields worth printing as they are, when present.
const PLAIN_FIELDS = ['audio_start_ms', 'audio_end_ms', 'item_id', 'content_index', 'transcript'];

/** Reads a variable the SDKs read too, failing loudly when it is missing. */
export function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    fail(`${name} is not set`);
  }
  return value;
}

/**
 * The openai package's Azure client, built the way the Azure documentation shows, from
 * AZURE_OPENAI_ENDPOINT (https://HOST), AZURE_OPENAI_API_KEY, OPENAI_API_VERSION and
 * AZURE_OPENAI_DEPLOYMENT_NAME. The realtime helpers dial wss:// on the endpoint's host.
 */
export function azureOpenAIFromEnv() {
  const deployment = process.env.AZURE_OPENAI_DEPLOYMENT_NAME || 'gpt-4o-realtime-preview';
  const client = new AzureOpenAI({
    endpoint: requireEnv('AZURE_OPENAI_ENDPOINT'),
    apiKey: requireEnv('AZURE_OPENAI_API_KEY'),
    apiVersion: requireEnv('OPENAI_API_VERSION'),
    deployment,
  });
  return { client, deploymentName: deployment };
}

/** Parses the --allow-error=CODE arguments every script accepts. */
export function allowedErrors(argv = process.argv.slice(2)) {
  return new Set(argv.filter((a) => a.startsWith('--allow-error=')).map((a) => a.slice('--allow-error='.length)));
}

/** The positional arguments, without the --flags. */
export function positionalArgs(argv = process.argv.slice(2)) {
  return argv.filter((a) => !a.startsWith('--'));
}

/** Prints a diagnostic on stderr and exits 1. */
export function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** The turn_detection of a session in either dialect (GA nests it under audio.input). */
function turnDetectionOf(session) {
  if (!session) return undefined;
  if (session.audio?.input && 'turn_detection' in session.audio.input) return session.audio.input.turn_detection;
  return session.turn_detection;
}

/**
 * Collects server events and prints them until the end condition holds.
 *
 * `until(ev, summary)` is asked after every event whether the run is over (default: at the
 * first response.done). Returns a Promise from finish() that exits the process.
 */
export class Collector {
  constructor({ allow = new Set(), timeoutMs = DEFAULT_TIMEOUT_MS, until = (ev) => ev.type === 'response.done' } = {}) {
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
    this.over = false;
    this.done = new Promise((resolve, reject) => {
      this.resolve = (v) => {
        this.over = true;
        resolve(v);
      };
      this.reject = (err) => {
        this.over = true;
        reject(err);
      };
    });
    this.timer = setTimeout(() => this.reject(new Error(`timeout: run not over within ${timeoutMs} ms`)), timeoutMs);
  }

  /** Records one server event (the parsed JSON object); events after the end are dropped. */
  event(ev) {
    if (this.over) return;
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
    if (ev.item && typeof ev.item === 'object') {
      const { id, type, role, status } = ev.item;
      line.item = { id, type, role, status };
    }
    if (ev.type === 'session.created' || ev.type === 'session.updated') {
      line.turn_detection = turnDetectionOf(ev.session);
      line.session_type = ev.session?.type;
    }
    if (ev.type === 'conversation.item.input_audio_transcription.delta') {
      line.delta = ev.delta;
    }
    if (ev.type === 'error') {
      line.error = ev.error;
      s.errors.push(ev.error?.code ?? null);
    }
    if (ev.type === 'response.done') {
      line.status = ev.response?.status;
      line.reason = ev.response?.status_details?.reason;
      s.response_status = ev.response?.status ?? null;
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);

    if (ev.type === 'error' && !this.allow.has(ev.error?.code)) {
      this.reject(new Error(`unexpected error event: ${JSON.stringify(ev.error)}`));
    }
    if (this.until(ev, s)) {
      this.resolve(s);
    }
  }

  /** Prints a client event the script sent in reaction to the server, and what it was based on. */
  sent(ev, why) {
    process.stdout.write(`${JSON.stringify({ client: ev, why })}\n`);
  }

  /** Records a transport failure (socket error, early close). */
  transportError(err) {
    this.reject(err instanceof Error ? err : new Error(String(err)));
  }

  /**
   * Waits for the end of the run, then prints the summary and exits.
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

/**
 * Wires an openai-package OpenAIRealtimeWS (either module) to a collector: server events,
 * SDK-level errors that are not server error events, and a close before the end.
 */
export function collectRealtimeWS(rt, collector) {
  rt.on('event', (ev) => collector.event(ev));
  rt.on('error', (err) => {
    // Server error events reach the collector through 'event'; the rest is transport.
    if (!err.error) collector.transportError(err);
  });
  rt.socket.on('close', (code, reason) => collector.transportError(new Error(`socket closed before the end of the run: ${code} ${reason}`)));
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
