/**
 * docs/WEBHOOKS.md's receiver check, run as written there, on a real POST: postWebhook sends the
 * headers the sending activity builds (deliveryHeaders) to a server on loopback, and the doc's
 * verifyWebhook accepts what arrived, and refuses it with the id, the body or the timestamp changed.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';
import { createWebhookAgent, postWebhook, webhookDestinations } from '../../src/webhooks/post';
import { deliveryHeaders } from '../../src/webhooks/signature';

type Verify = (secret: string, headers: IncomingHttpHeaders, rawBody: string, toleranceS?: number) => boolean;

/** The ```js block of the doc's "Receiving" section, evaluated. */
function docsVerifier(): Verify {
  const doc = readFileSync(join(projectRoot, 'docs', 'WEBHOOKS.md'), 'utf8');
  const code = /## Receiving[\s\S]*?```js\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!code) throw new Error('docs/WEBHOOKS.md has no ```js block under "Receiving"');
  return new Function('require', `${code}\nreturn verifyWebhook;`)(createRequire(__filename)) as Verify;
}

describe("docs/WEBHOOKS.md's receiver", () => {
  let server: Server;
  let url = '';
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each([
    ['a whsec_ secret', `whsec_${randomBytes(32).toString('base64')}`],
    ['a plain secret', randomBytes(24).toString('hex')],
  ])('verifies a real delivery signed with %s, and refuses it altered', async (_label, secret) => {
    const verify = docsVerifier();
    // the server is on loopback over http, which the worker allows only when told to
    const destinations = webhookDestinations({ allowDestinations: ['127.0.0.1'], allowHttp: true });
    const agent = createWebhookAgent(destinations);
    const body = JSON.stringify({ id: 'stage_event:9', type: 'version.promoted', data: { emoji: 'é✓' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = deliveryHeaders(secret, { id: 'd-1', event: 'version.promoted', attempt: 1 }, timestamp, body);
    const outcome = await postWebhook(agent, url, headers, body, 2000, destinations);
    await agent.close();
    expect(outcome.kind).toBe('delivered');

    const got = received.at(-1)!;
    expect(verify(secret, got.headers, got.body)).toBe(true);
    expect(verify(secret, { ...got.headers, 'webhook-id': 'd-2' }, got.body)).toBe(false);
    expect(verify(secret, got.headers, `${got.body} `)).toBe(false);
    expect(verify(secret, { ...got.headers, 'webhook-timestamp': String(timestamp + 1) }, got.body)).toBe(false);
    expect(verify(`whsec_${randomBytes(32).toString('base64')}`, got.headers, got.body)).toBe(false);
  });
});
