// The official TypeScript MCP SDK's OAuth client, as its own example client
// (examples/client/simpleOAuthClient.js) drives it: the SDK's InMemoryOAuthClientProvider, a
// loopback callback server at the redirect URL, StreamableHTTPClientTransport, finishAuth.
// Run by tests/mcp/test_typescript_sdk.py; nothing of the SDK is changed.
//
//   node client.mjs '{"server": "https://127.0.0.1:P/mcp", "redirect": "http://localhost:8090/callback",
//                     "metadata": {...}, "clientMetadataUrl": "https://localhost:Q/client.json"}'
//
// Each step prints one JSON line: {"authorize": url} when the user must consent (the test, as
// the user's browser, opens it and is sent back to the callback), then {"whoami": ...} after
// the first call, and {"whoami": ..., "refreshed": true} after the access token was refused once.
// The test CA is trusted through NODE_EXTRA_CA_CERTS.
import { createServer } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { InMemoryOAuthClientProvider } from '@modelcontextprotocol/sdk/examples/client/simpleOAuthClientProvider.js';

const options = JSON.parse(process.argv[2]);
const redirect = new URL(options.redirect);
const say = (line) => process.stdout.write(JSON.stringify(line) + '\n');

function waitForCallback() {
  return new Promise((resolve, reject) => {
    const server = createServer((request, response) => {
      const url = new URL(request.url, redirect);
      if (url.pathname !== redirect.pathname) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end('Done.');
      server.close();
      const code = url.searchParams.get('code');
      code ? resolve(code) : reject(new Error(`no code: ${url.searchParams.get('error')}`));
    });
    server.listen(Number(redirect.port), redirect.hostname);
  });
}

const provider = new InMemoryOAuthClientProvider(
  options.redirect,
  options.metadata,
  (url) => say({ authorize: url.toString() }),
  options.clientMetadataUrl,
);

async function whoami() {
  const client = new Client({ name: 'typescript-sdk-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(options.server), { authProvider: provider });
  try {
    await client.connect(transport);
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    const code = await callback;
    await transport.finishAuth(code);
    return whoami();
  }
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  await client.close();
  return result.structuredContent;
}

const callback = waitForCallback();
say({ whoami: await whoami(), client_id: provider.clientInformation()?.client_id });
// An hour later: the server refuses the access token, the SDK refreshes and calls again.
const before = provider.tokens();
provider.saveTokens({ ...before, access_token: 'expired-' + before.access_token });
const after = await whoami();
say({ whoami: after, refreshed: provider.tokens().access_token !== before.access_token });
process.exit(0);
