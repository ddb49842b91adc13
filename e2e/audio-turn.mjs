// One spoken turn over the openai package's GA realtime client, Azure form over wss://: set
// the audio formats and voice (turn detection stays at the server's default, server VAD),
// wait for session.updated, then stream a WAV file (PCM16, 24 kHz, mono) in real time as
// input_audio_buffer.append events of 100 ms (4800 bytes), and print what the server says
// (speech_started / speech_stopped with their ms fields, committed, the user item, the
// response). The whole file is streamed even after the response, so a second turn would
// show; once the file is sent and the response is done, the script retrieves the user item:
// its answer comes after the server has run VAD over every append, and ends the run.
//
//   node audio-turn.mjs speech.wav [--allow-error=CODE]
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import {
  BYTES_PER_MS, Collector, DEFAULT_TIMEOUT_MS, allowedErrors, azureOpenAIFromEnv, closeRealtimeWS, collectRealtimeWS, fail, positionalArgs,
} from './lib/turn.mjs';
import { readPCM16Wav } from './lib/wav.mjs';

const CHUNK_MS = 100;
const CHUNK_BYTES = CHUNK_MS * BYTES_PER_MS;

const [wavPath] = positionalArgs();
if (!wavPath) {
  fail('usage: node audio-turn.mjs FILE.wav [--allow-error=CODE]');
}
const pcm = readPCM16Wav(wavPath);
if (pcm.length === 0) {
  fail(`${wavPath}: no audio`);
}
const streamMs = Math.ceil(pcm.length / BYTES_PER_MS);

const { client, deploymentName } = azureOpenAIFromEnv();
const rt = await OpenAIRealtimeWS.azure(client, { deploymentName });

const collector = new Collector({
  allow: allowedErrors(),
  timeoutMs: streamMs + DEFAULT_TIMEOUT_MS,
  until: (ev) => ev.type === 'conversation.item.retrieved',
});
collectRealtimeWS(rt, collector);

let stopStreaming;
let streamed = false;
let responseDone = false;
let userItem = null;
rt.on('event', (ev) => {
  switch (ev.type) {
    case 'session.updated':
      stopStreaming ??= streamInRealTime(() => {
        streamed = true;
        retrieveWhenIdle();
      });
      break;
    case 'input_audio_buffer.committed':
      userItem ??= ev.item_id;
      break;
    case 'response.done':
      responseDone = true;
      retrieveWhenIdle();
      break;
  }
});
rt.socket.on('open', () => {
  rt.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      output_modalities: ['audio'],
      audio: {
        input: { format: { type: 'audio/pcm', rate: 24000 } },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy' },
      },
    },
  });
});

/** Once all audio is sent and the response is done, asks for the user item to end the run. */
function retrieveWhenIdle() {
  if (!streamed || !responseDone) return;
  if (!userItem) {
    collector.transportError(new Error('response done and all audio sent, but no input_audio_buffer.committed'));
    return;
  }
  rt.send({ type: 'conversation.item.retrieve', item_id: userItem });
}

/**
 * Sends one 100 ms chunk per 100 ms of wall time, each due at start + i*100 ms so that
 * timer jitter does not accumulate, and calls onEnd after the last. Returns a function that
 * stops the stream.
 */
function streamInRealTime(onEnd) {
  const start = performance.now();
  let i = 0;
  let timer;
  const tick = () => {
    const off = i * CHUNK_BYTES;
    rt.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(off, off + CHUNK_BYTES).toString('base64') });
    i++;
    if (i * CHUNK_BYTES >= pcm.length) {
      onEnd();
      return;
    }
    timer = setTimeout(tick, Math.max(0, start + i * CHUNK_MS - performance.now()));
  };
  tick();
  return () => clearTimeout(timer);
}

await collector.finish(() => {
  stopStreaming?.();
  return closeRealtimeWS(rt);
});
