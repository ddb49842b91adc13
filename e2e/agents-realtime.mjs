// @openai/agents-realtime over WebSocket: a RealtimeSession with the OpenAIRealtimeWebSocket
// transport (the ws package on Node), pointed at rtmock with an explicit url and an API key.
// The url is OPENAI_BASE_URL (rtmock's https://HOST/v1) with the scheme the transport dials,
// wss://HOST/v1/realtime?model=MODEL; NODE_EXTRA_CA_CERTS is rtmock's certificate. The
// transport sends Authorization: Bearer KEY, its own User-Agent and X-OpenAI-Agents-SDK
// headers, and a GA session.update as soon as the socket opens.
import { RealtimeAgent, RealtimeSession } from '@openai/agents-realtime';
import { Collector, allowedErrors, requireEnv } from './lib/turn.mjs';

const baseURL = requireEnv('OPENAI_BASE_URL');
const apiKey = requireEnv('OPENAI_API_KEY');
const model = process.env.OPENAI_REALTIME_MODEL || 'gpt-realtime';

const url = new URL(baseURL);
url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
url.pathname = `${url.pathname.replace(/\/+$/, '')}/realtime`;
url.searchParams.set('model', model);

const agent = new RealtimeAgent({ name: 'Assistant', instructions: 'Please assist the user.' });
const session = new RealtimeSession(agent, {
  transport: 'websocket',
  model,
});

const collector = new Collector({ allow: allowedErrors() });
// '*' carries every raw server event, including the ones the transport does not know.
session.transport.on('*', (ev) => collector.event(ev));
session.on('error', (err) => {
  // Server error events reach the collector through '*'; anything else is the transport's.
  const inner = err?.error;
  if (!(inner && typeof inner === 'object' && inner.type === 'error')) {
    collector.transportError(inner instanceof Error ? inner : new Error(JSON.stringify(inner ?? err)));
  }
});
const onDisconnected = () => collector.transportError(new Error('socket closed before response.done'));
session.transport.on('disconnected', onDisconnected);

try {
  await session.connect({ apiKey, url: url.href });
} catch (err) {
  collector.transportError(err);
}
if (session.transport.status === 'connected') {
  session.sendMessage('Say hello and ask how you can help.');
}
await collector.finish(() => {
  session.transport.off('disconnected', onDisconnected);
  // The transport reports 'disconnected' before the socket has finished closing; wait for
  // the socket itself so the server sees a clean close handshake.
  const ws = session.transport.connectionState.websocket;
  const closed = ws && ws.readyState !== ws.CLOSED ? new Promise((resolve) => ws.addEventListener('close', resolve)) : undefined;
  session.close();
  return closed;
});
