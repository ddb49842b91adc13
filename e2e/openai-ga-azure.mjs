// openai package, GA realtime client, Azure form, exactly as the SDK documents it:
//   OpenAIRealtimeWS.azure(new AzureOpenAI({endpoint, apiKey, apiVersion, deployment}), {deploymentName})
// dials wss://HOST/openai/v1/realtime?model=NAME (no api-version; the constructor still
// demands one) with header api-key. AZURE_OPENAI_ENDPOINT is rtmock's https:// URL and
// NODE_EXTRA_CA_CERTS its certificate.
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { azureOpenAIFromEnv } from './lib/turn.mjs';
import { runTextTurn } from './lib/openai-text-turn.mjs';

const { client, deploymentName } = azureOpenAIFromEnv();
const rt = await OpenAIRealtimeWS.azure(client, { deploymentName });
await runTextTurn(rt, 'ga');
