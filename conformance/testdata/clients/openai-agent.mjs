// A small voice agent on the npm `openai` package's realtime client (OpenAIRealtimeWS), run by
// the conformance suite as an external client. It reads the environment the runner sets:
//
//   AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, AZURE_OPENAI_DEPLOYMENT, OPENAI_API_VERSION
//   RTMOCK_DIALECT       preview (openai/beta/realtime/ws, the default) or ga (openai/realtime/ws)
//   RTMOCK_INPUT_WAV     user speech to stream in real time (24 kHz mono PCM16), with
//   RTMOCK_INPUT_FORMAT  the format to send it in (pcm16, g711_ulaw, g711_alaw); or
//   RTMOCK_INPUT_TEXT    what the user types
//
// It configures the session and waits for session.updated, sends its input, tracks active
// responses, answers function calls, truncates the playing item when the user talks over it,
// and on SIGINT or the end of stdin (the runner hanging up) closes with 1000 and exits.
// The packages come from e2e/node_modules (installed by e2e/install.sh).
import fs from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../e2e/package.json', import.meta.url));
const { AzureOpenAI } = require('openai');

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`${name} is not set\n`);
    process.exit(2);
  }
  return v;
};

const dialect = process.env.RTMOCK_DIALECT || 'preview'; // set only when the runner forces a dialect
const { OpenAIRealtimeWS } = require(dialect === 'ga' ? 'openai/realtime/ws' : 'openai/beta/realtime/ws');
const endpoint = env('AZURE_OPENAI_ENDPOINT');
const deploymentName = env('AZURE_OPENAI_DEPLOYMENT');
// AzureOpenAI prefers OPENAI_BASE_URL (set by the runner for OpenAI-style clients) over the
// endpoint and refuses both at once; baseURL null makes it build the Azure base from endpoint.
const client = new AzureOpenAI({
  baseURL: null,
  endpoint,
  apiKey: env('AZURE_OPENAI_API_KEY'),
  apiVersion: env('OPENAI_API_VERSION'),
  deployment: deploymentName,
});

// openai 7.x always dials wss://; the mock listens on plain http on loopback, so hand ws a
// plain TCP connection (the SDK still builds the URL and headers).
const options = new URL(endpoint).protocol === 'http:'
  ? { createConnection: (o) => net.connect({ host: o.host, port: o.port }) }
  : undefined;
const rt = await OpenAIRealtimeWS.azure(client, { deploymentName, options });

const log = (msg) => process.stderr.write(`openai-agent: ${msg}\n`);
let seq = 0;
const send = (ev) => {
  ev.event_id = `evt_${++seq}`;
  rt.send(ev);
  return ev.event_id;
};

// --- input -------------------------------------------------------------------------------------

const BYTES_PER_MS = { pcm16: 48, g711_ulaw: 8, g711_alaw: 8 };
const inputFormat = process.env.RTMOCK_INPUT_FORMAT || 'pcm16';
const wav = process.env.RTMOCK_INPUT_WAV;

function readPCM16(path) {
  const buf = fs.readFileSync(path);
  for (let off = 12; off + 8 <= buf.length;) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'data') return buf.subarray(off + 8, off + 8 + size);
    off += 8 + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}

function linearToULaw(s) {
  const BIAS = 0x84;
  let sign = (s >> 8) & 0x80;
  if (sign) s = -s;
  s = Math.min(s, 32635) + BIAS;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
  return ~(sign | (exp << 4) | ((s >> (exp + 3)) & 0x0f)) & 0xff;
}

function linearToALaw(s) {
  let sign = s >= 0 ? 0x80 : 0;
  if (!sign) s = -s - 1;
  s = Math.min(s, 32767);
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
  const mant = exp === 0 ? (s >> 4) & 0x0f : (s >> (exp + 3)) & 0x0f;
  return ((sign | (exp << 4) | mant) ^ 0x55) & 0xff;
}

// The input in the session's format: PCM16 as it is, G.711 at 8 kHz (every third sample).
function encodeInput(pcm) {
  if (inputFormat === 'pcm16') return pcm;
  const enc = inputFormat === 'g711_ulaw' ? linearToULaw : linearToALaw;
  const out = Buffer.alloc(Math.floor(pcm.length / 6));
  for (let i = 0; i < out.length; i++) out[i] = enc(pcm.readInt16LE(i * 6));
  return out;
}

const speech = wav ? encodeInput(readPCM16(wav)) : null;
const chunkMs = inputFormat === 'pcm16' ? 100 : 20;
const chunkBytes = chunkMs * BYTES_PER_MS[inputFormat];

// --- state -------------------------------------------------------------------------------------

let configured = false;
let updateID = null;
let manual = false; // turn detection off: the client commits
let committing = false;
let outBytesPerMs = 48;
let started = false;
const active = new Set();
let pending = null; // event_id of a response.create not answered yet
let wantCreate = false;
let retries = 0;
let play = null; // {item, resp, first, bytes, stopped}
let streamTimer = null;

function readConfig(session) {
  const td = dialect === 'ga' ? session?.audio?.input?.turn_detection : session?.turn_detection;
  manual = td == null || td.type === 'none';
  const out = dialect === 'ga' ? session?.audio?.output?.format?.type : session?.output_audio_format;
  outBytesPerMs = out === 'pcm16' || out === 'audio/pcm' || out === undefined ? 48 : 8;
}

function configure() {
  const session = dialect === 'ga'
    ? { type: 'realtime', instructions: 'You are a helpful voice assistant.', audio: { output: { voice: 'alloy' } } }
    : { instructions: 'You are a helpful voice assistant.', voice: 'alloy' };
  if (speech) {
    if (dialect === 'ga') {
      const type = { pcm16: 'audio/pcm', g711_ulaw: 'audio/pcmu', g711_alaw: 'audio/pcma' }[inputFormat];
      const format = type === 'audio/pcm' ? { type, rate: 24000 } : { type };
      session.audio.input = { format };
      session.audio.output.format = format;
    } else {
      session.input_audio_format = inputFormat;
      session.output_audio_format = inputFormat;
    }
  }
  updateID = send({ type: 'session.update', session });
}

function create() {
  if (!wantCreate || active.size > 0 || pending) return;
  pending = send({ type: 'response.create' });
  wantCreate = false;
}

function begin() {
  if (started) return;
  started = true;
  if (speech) {
    const start = performance.now();
    let i = 0;
    const tick = () => {
      const off = i * chunkBytes;
      if (off >= speech.length) {
        streamTimer = null;
        if (manual) {
          send({ type: 'input_audio_buffer.commit' });
          committing = true;
        }
        return;
      }
      send({ type: 'input_audio_buffer.append', audio: speech.subarray(off, off + chunkBytes).toString('base64') });
      i++;
      streamTimer = setTimeout(tick, Math.max(0, start + i * chunkMs - performance.now()));
    };
    tick();
    return;
  }
  send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: process.env.RTMOCK_INPUT_TEXT || 'Hello!' }] },
  });
  wantCreate = true;
  create();
}

function onSpeechStarted() {
  if (!play || play.stopped) return;
  const now = performance.now();
  const received = Math.floor(play.bytes / outBytesPerMs);
  if (!active.has(play.resp) && now - play.first >= received) return; // finished playing
  const played = Math.floor(Math.min(received, now - play.first));
  play.stopped = true;
  if (played >= 1) {
    send({ type: 'conversation.item.truncate', item_id: play.item, content_index: 0, audio_end_ms: played });
  }
}

rt.on('event', (ev) => {
  switch (ev.type) {
    case 'session.created':
      readConfig(ev.session);
      configure();
      break;
    case 'session.updated':
      readConfig(ev.session);
      if (!configured) {
        configured = true;
        begin();
      }
      break;
    case 'error':
      if (ev.error?.event_id && ev.error.event_id === pending) {
        pending = null;
        if (ev.error.code === 'conversation_already_has_active_response' || retries++ < 3) wantCreate = true;
        create();
      } else if (ev.error?.event_id === updateID && !configured) {
        log(`session.update refused: ${ev.error.message}`);
      }
      break;
    case 'response.created':
      active.add(ev.response.id);
      pending = null;
      break;
    case 'response.done': {
      active.delete(ev.response.id);
      if (pending && active.size === 0) pending = null;
      for (const item of ev.response.output ?? []) {
        if (item.type === 'function_call') {
          send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: item.call_id, output: '{"ok":true}' } });
          wantCreate = true;
        }
      }
      create();
      break;
    }
    case 'response.audio.delta':
    case 'response.output_audio.delta':
      if (!play || play.item !== ev.item_id) {
        play = { item: ev.item_id, resp: ev.response_id, first: performance.now(), bytes: 0, stopped: false };
      }
      play.bytes += Buffer.from(ev.delta, 'base64').length;
      break;
    case 'input_audio_buffer.speech_started':
      onSpeechStarted();
      break;
    case 'input_audio_buffer.committed':
      if (committing) {
        committing = false;
        wantCreate = true;
        create();
      }
      break;
  }
});

rt.on('error', (err) => {
  if (!err.error) log(`transport error: ${err.message}`);
});

let ending = false;
function hangUp() {
  if (ending) return;
  ending = true;
  if (streamTimer) clearTimeout(streamTimer);
  const done = () => process.exit(0);
  if (rt.socket.readyState === rt.socket.CLOSED) done();
  rt.socket.once('close', done);
  rt.close(); // 1000 "OK"
  setTimeout(done, 2000).unref();
}

// The server ended the session: this agent does not reconnect, it ends the call.
rt.socket.on('close', () => {
  if (!ending) process.exit(0);
});
process.on('SIGINT', hangUp);
process.on('SIGTERM', hangUp);
process.stdin.on('end', hangUp);
process.stdin.resume();
