// SIP call control with the openai package, as a telephony server runs it: an HTTP endpoint
// receives the realtime.call.incoming webhook and checks its signature with
// client.webhooks.unwrap (secret SIP_WEBHOOK_SECRET). It accepts the first call with a
// session and transfers it with refer; accepts the second and hangs up (an accept after that
// must be refused); and rejects the third with 486. The
// script asks rtmock for the incoming calls (POST RTMOCK_URL/__rtmock/sip/calls) once its
// endpoint listens on SIP_HOOK_PORT. One JSON line per step:
//   {"webhook":TYPE,"call_id":ID}  {"step":VERB,"call_id":ID,"ok":true}  {"step":VERB,"status":N}
import http from 'node:http';
import OpenAI from 'openai';
import { fail, requireEnv } from './lib/turn.mjs';

const secret = requireEnv('SIP_WEBHOOK_SECRET');
const mock = requireEnv('RTMOCK_URL');
const port = Number(requireEnv('SIP_HOOK_PORT'));
requireEnv('OPENAI_BASE_URL');
const client = new OpenAI({ webhookSecret: secret });
const print = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);
const timer = setTimeout(() => fail('timeout: the calls did not complete within 20 s'), 20_000);

let calls = 0;
const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks).toString('utf8');
  res.writeHead(200).end();
  try {
    const event = await client.webhooks.unwrap(body, req.headers);
    const id = event.data.call_id;
    print({ webhook: event.type, call_id: id, sip_headers: event.data.sip_headers.map((h) => h.name) });
    calls++;
    if (calls === 1) {
      await client.realtime.calls.accept(id, { type: 'realtime', instructions: 'You answer the phone.' });
      print({ step: 'accept', call_id: id, ok: true });
      await client.realtime.calls.refer(id, { target_uri: 'tel:+14155550123' });
      print({ step: 'refer', call_id: id, ok: true });
      await ring();
    } else if (calls === 2) {
      await client.realtime.calls.accept(id, { type: 'realtime' });
      print({ step: 'accept', call_id: id, ok: true });
      await client.realtime.calls.hangup(id);
      print({ step: 'hangup', call_id: id, ok: true });
      try {
        await client.realtime.calls.accept(id, { type: 'realtime' });
        print({ step: 'accept-again', status: 200 });
      } catch (err) {
        print({ step: 'accept-again', status: err.status });
      }
      await ring();
    } else {
      await client.realtime.calls.reject(id, { status_code: 486 });
      print({ step: 'reject', call_id: id, ok: true });
      clearTimeout(timer);
      server.close();
    }
  } catch (err) {
    fail(`call control failed: ${err.message}`);
  }
});

async function ring() {
  const r = await fetch(`${mock}/__rtmock/sip/calls`, { method: 'POST', body: '{"from":"sip:+14155550100@example.com"}' });
  if (!r.ok) fail(`POST /__rtmock/sip/calls: ${r.status} ${await r.text()}`);
}

server.listen(port, '127.0.0.1', ring);
