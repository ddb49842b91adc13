// One spoken turn over the openai package's GA realtime client, Azure form: configure server
// VAD, wait for session.updated, then stream a WAV file (PCM16, 24 kHz, mono) in real time as
// input_audio_buffer.append events of 100 ms (4800 bytes), and print what the server says
// (speech_started / speech_stopped with their ms fields, committed, the response) until
// response.done.
//
//   node audio-turn.mjs speech.wav [--allow-error=CODE]
import fs from 'node:fs';
import { AzureOpenAI } from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { Collector, DEFAULT_TIMEOUT_MS, allowedErrors, closeRealtimeWS, fail, positionalArgs, requireEnv, socketOptionsFor } from './lib/turn.mjs';

const CHUNK_MS = 100;
const BYTES_PER_MS = 48; // PCM16 mono at 24 kHz
const CHUNK_BYTES = CHUNK_MS * BYTES_PER_MS;

/** Returns the PCM bytes of a canonical PCM16 / 24 kHz / mono WAV file, or exits. */
function readPCM16Wav(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    fail(`${path}: not a RIFF/WAVE file`);
  }
  let fmt = null;
  for (let off = 12; off + 8 <= buf.length;) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = {
        format: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt || fmt.format !== 1 || fmt.channels !== 1 || fmt.rate !== 24000 || fmt.bits !== 16) {
        fail(`${path}: want PCM16 mono 24000 Hz, have ${JSON.stringify(fmt)}`);
      }
      return buf.subarray(body, Math.min(body + size, buf.length));
    }
    off = body + size + (size % 2);
  }
  fail(`${path}: no data chunk`);
}

const [wavPath] = positionalArgs();
if (!wavPath) {
  fail('usage: node audio-turn.mjs FILE.wav [--allow-error=CODE]');
}
const pcm = readPCM16Wav(wavPath);
const streamMs = Math.ceil(pcm.length / BYTES_PER_MS);

const endpoint = requireEnv('AZURE_OPENAI_ENDPOINT');
const deploymentName = process.env.AZURE_OPENAI_DEPLOYMENT_NAME || 'gpt-4o-realtime-preview';
const client = new AzureOpenAI({ endpoint });
const rt = await OpenAIRealtimeWS.azure(client, { deploymentName, options: socketOptionsFor(endpoint) });

const collector = new Collector({ allow: allowedErrors(), timeoutMs: streamMs + DEFAULT_TIMEOUT_MS });
let streaming = false;
let stopStreaming = () => {};
rt.on('event', (ev) => {
  collector.event(ev);
  if (ev.type === 'session.updated' && !streaming) {
    streaming = true;
    stopStreaming = streamInRealTime();
  }
});
rt.on('error', (err) => {
  if (!err.error) collector.transportError(err);
});
rt.socket.on('close', (code, reason) => collector.transportError(new Error(`socket closed before response.done: ${code} ${reason}`)));
rt.socket.on('open', () => {
  rt.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      output_modalities: ['audio'],
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          turn_detection: {
            type: 'server_vad',
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
            create_response: true,
            interrupt_response: true,
          },
        },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy' },
      },
    },
  });
});

/**
 * Sends one 100 ms chunk per 100 ms of wall time, each due at start + i*100 ms so that
 * timer jitter does not accumulate. Returns a function that stops the stream.
 */
function streamInRealTime() {
  const start = performance.now();
  let i = 0;
  let timer;
  const tick = () => {
    const off = i * CHUNK_BYTES;
    if (off >= pcm.length) return;
    rt.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(off, off + CHUNK_BYTES).toString('base64') });
    i++;
    timer = setTimeout(tick, Math.max(0, start + i * CHUNK_MS - performance.now()));
  };
  tick();
  return () => clearTimeout(timer);
}

await collector.finish(() => {
  stopStreaming();
  return closeRealtimeWS(rt);
});
