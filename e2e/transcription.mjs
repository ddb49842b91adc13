// A transcription-only session over the openai package's GA realtime client: new OpenAI()
// reads OPENAI_BASE_URL (rtmock's https://HOST/v1) and OPENAI_API_KEY, and
// new OpenAIRealtimeWS({intent: 'transcription'}) dials wss://HOST/v1/realtime?intent=transcription
// with no model. The script names the transcription model in a session.update of type
// transcription, waits for session.updated, streams a WAV file (PCM16, 24 kHz, mono) as 100 ms
// appends followed by a second of silence, and ends at the first
// conversation.item.input_audio_transcription.completed.
//
//   node transcription.mjs speech.wav MODEL
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import {
  BYTES_PER_MS, Collector, DEFAULT_TIMEOUT_MS, allowedErrors, closeRealtimeWS, collectRealtimeWS, fail, positionalArgs, requireEnv,
} from './lib/turn.mjs';
import { readPCM16Wav } from './lib/wav.mjs';

const [wavPath, model = 'gpt-4o-mini-transcribe'] = positionalArgs();
if (!wavPath) {
  fail('usage: node transcription.mjs FILE.wav [MODEL]');
}
requireEnv('OPENAI_BASE_URL');
const pcm = Buffer.concat([readPCM16Wav(wavPath), Buffer.alloc(1000 * BYTES_PER_MS)]);

const rt = new OpenAIRealtimeWS({ intent: 'transcription' }, new OpenAI());
const collector = new Collector({
  allow: allowedErrors(),
  timeoutMs: DEFAULT_TIMEOUT_MS,
  until: (ev) => ev.type === 'conversation.item.input_audio_transcription.completed',
});
collectRealtimeWS(rt, collector);

rt.on('event', (ev) => {
  if (ev.type !== 'session.updated') return;
  const chunk = 100 * BYTES_PER_MS;
  for (let off = 0; off < pcm.length; off += chunk) {
    rt.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(off, off + chunk).toString('base64') });
  }
});
rt.socket.on('open', () => {
  const session = {
    type: 'transcription',
    audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: { model, language: 'en' } } },
  };
  rt.send({ type: 'session.update', session });
  collector.sent({ type: 'session.update', session }, { model });
});

await collector.finish(() => closeRealtimeWS(rt));
