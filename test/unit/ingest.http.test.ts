/**
 * One GET of a source page against a real local HTTP server: a body over the byte cap is cut off
 * (not read to the end), and a body that trickles in under the chunk timeout still ends at the
 * request's overall deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sourceDestinationPolicy } from '../../src/ingest/destinations';
import { createSourceAgent, fetchPage } from '../../src/ingest/http';

describe('fetchPage limits', () => {
  let server: Server;
  let base = '';
  let sentBytes = 0;
  let elsewhere = '';
  let elsewhereHits = 0;
  const other = createServer((_req, res) => {
    elsewhereHits++;
    res.end('{"data":[]}');
  });
  // the server is on loopback, which sources reach only when the operator allows it
  const agent = createSourceAgent(sourceDestinationPolicy({ allowDestinations: ['127.0.0.1', '::1'] }));

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/big') {
        // no content-length: the cap must hold while streaming
        res.writeHead(200, { 'content-type': 'application/json' });
        let n = 0;
        const push = () => {
          if (n++ >= 200 || res.destroyed) return res.end();
          sentBytes += 1024;
          res.write(`${'x'.repeat(1024)}`, () => setImmediate(push));
        };
        push();
      } else if (req.url === '/moved') {
        // a redirect to another origin, which must not receive the request (nor its secret)
        res.writeHead(302, { location: `${elsewhere}/steal` });
        res.end();
      } else if (req.url === '/trickle') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => res.write(' '), 50);
        res.on('close', () => clearInterval(timer));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"data":[1,2]}');
      }
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
    elsewhere = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });

  it('does not follow a redirect: a 3xx is final, and its Location gets no request (nor the secret header)', async () => {
    const out = await fetchPage(
      agent,
      `${base}/moved`,
      { authorization: 'Bearer not-for-elsewhere' },
      { timeoutMs: 1000, deadlineMs: 5000, maxBytes: 1024 },
    );
    expect(out).toMatchObject({ kind: 'fatal', status: 302 });
    expect(elsewhereHits).toBe(0);
  });

  it('reads a page within its limits', async () => {
    const out = await fetchPage(agent, `${base}/ok`, {}, { timeoutMs: 1000, deadlineMs: 5000, maxBytes: 1024 });
    expect(out).toMatchObject({ kind: 'ok', text: '{"data":[1,2]}' });
  });

  it('resolves host names through the destination guard (localhost, allowed here, passes)', async () => {
    const out = await fetchPage(
      agent,
      `${base.replace('127.0.0.1', 'localhost')}/ok`,
      {},
      { timeoutMs: 1000, deadlineMs: 5000, maxBytes: 1024 },
    );
    expect(out).toMatchObject({ kind: 'ok' });
  });

  it('stops reading a body over maxBytes', async () => {
    const out = await fetchPage(agent, `${base}/big`, {}, { timeoutMs: 1000, deadlineMs: 5000, maxBytes: 8 * 1024 });
    expect(out.kind).toBe('too-large');
    expect(out.kind === 'too-large' && out.bytes).toBeGreaterThan(8 * 1024);
    expect(sentBytes).toBeLessThan(200 * 1024);
  });

  it('ends a trickling body at the overall deadline, as a retryable outcome', async () => {
    const out = await fetchPage(agent, `${base}/trickle`, {}, { timeoutMs: 1000, deadlineMs: 400, maxBytes: 1 << 20 });
    expect(out).toMatchObject({ kind: 'retry', reason: 'the request took longer than its deadline of 400 ms' });
  });
});
