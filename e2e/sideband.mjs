// The server-side control WebSocket of a WebRTC call with the openai package, as an application
// server attaches to the call its browser made: new OpenAIRealtimeWS({ callID }) dials
// wss://HOST/v1/realtime?call_id=CALL_ID with the standard key (OPENAI_BASE_URL is rtmock's
// https://HOST/v1; NODE_EXTRA_CA_CERTS is rtmock's certificate). On open it sets the instructions
// with session.update and, once they are set, asks for a reply with response.create; at
// response.done it hangs the call up with client.realtime.calls.hangup, and waits for the
// socket to close. One JSON line per event, {"type":TYPE}, then {"close":CODE}.
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { fail, requireEnv } from './lib/turn.mjs';

requireEnv('OPENAI_BASE_URL');
const callID = requireEnv('CALL_ID');
const print = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);
const timer = setTimeout(() => fail('timeout: the call did not end within 20 s'), 20_000);

const client = new OpenAI();
const rt = new OpenAIRealtimeWS({ callID }, client);
rt.socket.on('open', () => {
  rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Answer from the server.' } });
});
rt.on('error', (err) => fail(`realtime error: ${err.message}`));
rt.on('event', async (event) => {
  print({ type: event.type });
  if (event.type === 'session.updated' && event.session.instructions === 'Answer from the server.') {
    rt.send({ type: 'response.create' });
  } else if (event.type === 'response.done') {
    try {
      await client.realtime.calls.hangup(callID);
    } catch (err) {
      fail(`hangup: ${err.message}`);
    }
  }
});
rt.socket.on('close', (code) => {
  print({ close: code });
  clearTimeout(timer);
});
