// openai package, beta (preview) realtime client, Azure form:
//   OpenAIRealtimeWS.azure(new AzureOpenAI({...}), {deploymentName})
// dials wss://HOST/openai/realtime?api-version=$OPENAI_API_VERSION&deployment=NAME
// with headers api-key and OpenAI-Beta: realtime=v1.
import { AzureOpenAI } from 'openai';
import { OpenAIRealtimeWS } from 'openai/beta/realtime/ws';
import { requireEnv, socketOptionsFor } from './lib/turn.mjs';
import { runTextTurn } from './lib/openai-text-turn.mjs';

const endpoint = requireEnv('AZURE_OPENAI_ENDPOINT');
const deploymentName = process.env.AZURE_OPENAI_DEPLOYMENT_NAME || 'gpt-4o-realtime-preview';
// AzureOpenAI reads AZURE_OPENAI_API_KEY and OPENAI_API_VERSION itself.
const client = new AzureOpenAI({ endpoint });
const rt = await OpenAIRealtimeWS.azure(client, { deploymentName, options: socketOptionsFor(endpoint) });
await runTextTurn(rt, 'beta');
