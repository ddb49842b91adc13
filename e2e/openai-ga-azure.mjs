// openai package, GA realtime client, Azure form:
//   OpenAIRealtimeWS.azure(new AzureOpenAI({...}), {deploymentName})
// dials wss://HOST/openai/v1/realtime?model=NAME (no api-version) with header api-key.
import { AzureOpenAI } from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { requireEnv, socketOptionsFor } from './lib/turn.mjs';
import { runTextTurn } from './lib/openai-text-turn.mjs';

const endpoint = requireEnv('AZURE_OPENAI_ENDPOINT');
const deploymentName = process.env.AZURE_OPENAI_DEPLOYMENT_NAME || 'gpt-4o-realtime-preview';
// AzureOpenAI reads AZURE_OPENAI_API_KEY and OPENAI_API_VERSION itself; the GA realtime URL
// carries no api-version, but the constructor still demands one.
const client = new AzureOpenAI({ endpoint });
const rt = await OpenAIRealtimeWS.azure(client, { deploymentName, options: socketOptionsFor(endpoint) });
await runTextTurn(rt, 'ga');
