// openai package, GA realtime client, plain OpenAI form: new OpenAI() with OPENAI_BASE_URL
// (http://HOST/v1) and OPENAI_API_KEY from the environment dials
// wss://HOST/v1/realtime?model=MODEL with Authorization: Bearer KEY and no OpenAI-Beta header.
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { requireEnv, socketOptionsFor } from './lib/turn.mjs';
import { runTextTurn } from './lib/openai-text-turn.mjs';

const baseURL = requireEnv('OPENAI_BASE_URL');
const model = process.env.OPENAI_REALTIME_MODEL || 'gpt-realtime';
const client = new OpenAI();
const rt = new OpenAIRealtimeWS({ model, options: socketOptionsFor(baseURL) }, client);
await runTextTurn(rt, 'ga');
