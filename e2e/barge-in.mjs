// Barge-in handled the way a voice app must, over the openai package's GA realtime client,
// Azure form over wss://, against "rtmock serve barge-in": ask for a response, play its audio
// in real time (in the script's head: played ms = min(ms received, ms since the first delta)),
// and when the server reports input_audio_buffer.speech_started while the assistant talks,
// stop playing and send conversation.item.truncate for the assistant's audio item at the
// played ms, so that the conversation keeps only what the user heard. The run ends when the
// truncate is answered, the interrupted response is done and the response to the user's
// interruption is done too.
//
//   node barge-in.mjs [--allow-error=CODE]
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import {
  AUDIO_DELTAS, BYTES_PER_MS, Collector, DEFAULT_TIMEOUT_MS, allowedErrors, azureOpenAIFromEnv, closeRealtimeWS, collectRealtimeWS,
} from './lib/turn.mjs';

const { client, deploymentName } = azureOpenAIFromEnv();
const rt = await OpenAIRealtimeWS.azure(client, { deploymentName });

const collector = new Collector({
  allow: allowedErrors(),
  // The scripted reply is 5 s of audio at playback speed.
  timeoutMs: 5000 + DEFAULT_TIMEOUT_MS,
  until: (ev, s) => s.counts['conversation.item.truncated'] >= 1 && s.counts['response.done'] >= 2,
});
collectRealtimeWS(rt, collector);

// The playback in the script's head: the assistant item being played, when its first audio
// arrived and how much audio has arrived since.
let playing = null; // { itemId, startedAt, receivedBytes, stopped }

/** What has been played so far, and the two figures it is the lesser of. */
function playback() {
  const receivedMs = playing.receivedBytes / BYTES_PER_MS;
  const elapsedMs = performance.now() - playing.startedAt;
  return { playedMs: Math.floor(Math.min(receivedMs, elapsedMs)), receivedMs, elapsedMs: Math.round(elapsedMs) };
}

// The playback clock is only as good as the event loop that reads it: a process starved of
// CPU sees the first delta or speech_started late. A 10 ms ticker measures the loop's worst
// lateness from response.created on, so that a stalled run can be told from a wrong truncate.
const TICK_MS = 10;
let lastTick = performance.now();
let maxLagMs = 0;
setInterval(() => {
  const now = performance.now();
  maxLagMs = Math.max(maxLagMs, now - lastTick - TICK_MS);
  lastTick = now;
}, TICK_MS).unref();

rt.on('event', (ev) => {
  if (ev.type === 'response.created' && playing === null) {
    maxLagMs = 0;
  }
  if (AUDIO_DELTAS.has(ev.type)) {
    if (playing === null) {
      playing = { itemId: ev.item_id, startedAt: performance.now(), receivedBytes: 0, stopped: false };
    }
    if (!playing.stopped && ev.item_id === playing.itemId) {
      playing.receivedBytes += Buffer.from(ev.delta, 'base64').length;
    }
    return;
  }
  if (ev.type === 'input_audio_buffer.speech_started' && playing !== null && !playing.stopped) {
    const p = playback();
    playing.stopped = true;
    const truncate = { type: 'conversation.item.truncate', item_id: playing.itemId, content_index: 0, audio_end_ms: p.playedMs };
    rt.send(truncate);
    collector.sent(truncate, { received_ms: p.receivedMs, elapsed_ms: p.elapsedMs, max_loop_lag_ms: Math.round(maxLagMs) });
  }
});

rt.socket.on('open', () => {
  rt.send({
    type: 'session.update',
    session: { type: 'realtime', output_modalities: ['audio'], audio: { output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy' } } },
  });
  rt.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me a long story.' }] },
  });
  rt.send({ type: 'response.create' });
});

await collector.finish(() => closeRealtimeWS(rt));
