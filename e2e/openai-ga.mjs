// openai package, GA realtime client, plain OpenAI form: new OpenAI() reads OPENAI_BASE_URL
// (rtmock's https://HOST/v1) and OPENAI_API_KEY from the environment and dials
// wss://HOST/v1/realtime?model=MODEL with Authorization: Bearer KEY and no OpenAI-Beta
// header. NODE_EXTRA_CA_CERTS is rtmock's certificate.
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { requireEnv } from './lib/turn.mjs';
import { runTextTurn } from './lib/openai-text-turn.mjs';

requireEnv('OPENAI_BASE_URL');
const model = process.env.OPENAI_REALTIME_MODEL || 'gpt-realtime';
const client = new OpenAI();
const rt = new OpenAIRealtimeWS({ model }, client);
await runTextTurn(rt, 'ga');
