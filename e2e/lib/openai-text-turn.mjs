// One text turn over an openai-package realtime client (beta or GA, Azure or OpenAI):
// configure the session, send a user message, ask for a response, print what comes back.
import { Collector, allowedErrors, closeRealtimeWS, collectRealtimeWS } from './turn.mjs';

const USER_TEXT = 'Say hello and ask how you can help.';

/** The session.update body for each dialect: audio plus transcript, voice alloy. */
const SESSION = {
  beta: { modalities: ['audio', 'text'], voice: 'alloy', instructions: 'Please assist the user.' },
  ga: { type: 'realtime', output_modalities: ['audio'], instructions: 'Please assist the user.', audio: { output: { voice: 'alloy' } } },
};

/**
 * Drives one text turn on an OpenAIRealtimeWS (either module) and exits the process.
 * The events are sent as soon as the socket is open, the way the SDK's examples do.
 */
export async function runTextTurn(rt, dialect) {
  const collector = new Collector({ allow: allowedErrors() });
  collectRealtimeWS(rt, collector);
  rt.socket.on('open', () => {
    rt.send({ type: 'session.update', session: SESSION[dialect] });
    rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: USER_TEXT }] },
    });
    rt.send({ type: 'response.create' });
  });
  await collector.finish(() => closeRealtimeWS(rt));
}
