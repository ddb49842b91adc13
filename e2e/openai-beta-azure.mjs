// openai package, beta (preview) realtime client, Azure form, exactly as the SDK documents it:
//   OpenAIRealtimeWS.azure(new AzureOpenAI({endpoint, apiKey, apiVersion, deployment}), {deploymentName})
// dials wss://HOST/openai/realtime?api-version=$OPENAI_API_VERSION&deployment=NAME with headers
// api-key and OpenAI-Beta: realtime=v1. AZURE_OPENAI_ENDPOINT is rtmock's https:// URL and
// NODE_EXTRA_CA_CERTS its certificate.
import { OpenAIRealtimeWS } from 'openai/beta/realtime/ws';
import { azureOpenAIFromEnv } from './lib/turn.mjs';
import { runTextTurn } from './lib/openai-text-turn.mjs';

const { client, deploymentName } = azureOpenAIFromEnv();
const rt = await OpenAIRealtimeWS.azure(client, { deploymentName });
await runTextTurn(rt, 'beta');
