/**
 * The deny list of outbound destinations (src/http/destinations.ts), for sources and webhook
 * receivers alike: by literal address, by what a name resolves to, and through the agents' connect
 * function against a real server on loopback (which receives nothing unless the operator allows it).
 * IPv6 forms that carry an IPv4 address are judged as that address. Refusals name the caller's setting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import {
  destinationRefusal,
  embeddedIPv4,
  guardedLookup,
  isDeniedAddress,
  isDestinationRefusal,
  type DestinationPolicy,
} from '../../src/http/destinations';
import { sourceDestinationPolicy } from '../../src/ingest/destinations';
import { createSourceAgent, fetchPage } from '../../src/ingest/http';
import { createWebhookAgent, postWebhook, webhookDestinations } from '../../src/webhooks/post';

const sources = sourceDestinationPolicy({ allowDestinations: [] });
const receivers = webhookDestinations({ allowDestinations: [], allowHttp: true });

/** Every address form the issue names, and then some: each must be refused. */
const DENIED = [
  // loopback
  '127.0.0.1',
  '127.255.255.254',
  '::1',
  // private
  '10.0.0.1',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  'fc00::1',
  'fd00:ec2::254',
  // link-local and metadata
  '169.254.169.254',
  'fe80::1',
  // CGNAT (and Alibaba's metadata address in it)
  '100.64.0.1',
  '100.100.100.200',
  // unspecified, multicast, broadcast, reserved
  '0.0.0.0',
  '::',
  '224.0.0.1',
  'ff02::1',
  '255.255.255.255',
  '240.0.0.1',
  // IPv4-mapped, in both spellings
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:169.254.169.254',
  '::ffff:a9fe:a9fe',
  '::ffff:10.0.0.1',
  // IPv4-compatible
  '::a9fe:a9fe',
  '::127.0.0.1',
  '::10.1.2.3',
  // NAT64, well-known and local-use prefixes
  '64:ff9b::a9fe:a9fe',
  '64:ff9b::127.0.0.1',
  '64:ff9b::c0a8:101',
  '64:ff9b:1::a9fe:a9fe',
  // 6to4 of a private address, Teredo
  '2002:a9fe:a9fe::1',
  '2002:7f00:1::',
  '2001:0:4136:e378:8000:63bf:3fff:fdd2',
];

const ALLOWED = ['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'];

function lookup(
  policy: DestinationPolicy,
  hostname: string,
  all: boolean,
): Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[] }> {
  return new Promise((resolve) =>
    guardedLookup(policy)(hostname, { all }, (err, address) => resolve({ err, address })),
  );
}

describe('the deny list', () => {
  it.each(DENIED)('refuses %s', (address) => {
    expect(isDeniedAddress(address)).toBe(true);
    expect(isDeniedAddress(`[${address}]`)).toBe(true);
    expect(destinationRefusal(address, undefined, sources)).toMatch(/refused for sources \(INGEST_ALLOW_DESTINATIONS/);
  });

  it.each(DENIED)('refuses a name resolving to %s', (address) => {
    expect(destinationRefusal('api.example.com', address, sources)).toMatch(
      /^api\.example\.com resolves to .*, a loopback, private, link-local or otherwise non-public address: refused for sources/,
    );
  });

  it.each(ALLOWED)('lets the public address %s through', (address) => {
    expect(isDeniedAddress(address)).toBe(false);
    expect(destinationRefusal(address, undefined, sources)).toBeUndefined();
  });

  it('decodes the IPv4 address in mapped, compatible, NAT64 and 6to4 forms', () => {
    expect(embeddedIPv4('::a9fe:a9fe')).toBe('169.254.169.254');
    expect(embeddedIPv4('64:ff9b::a9fe:a9fe')).toBe('169.254.169.254');
    expect(embeddedIPv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIPv4('2002:c0a8:101::1')).toBe('192.168.1.1');
    expect(embeddedIPv4('::1')).toBeUndefined();
    expect(embeddedIPv4('2606:4700:4700::1111')).toBeUndefined();
    expect(destinationRefusal('::a9fe:a9fe', undefined, sources)).toMatch(
      /^::a9fe:a9fe \(IPv4 169\.254\.169\.254\) is a/,
    );
  });

  it('refuses cloud metadata names whatever they resolve to', () => {
    expect(destinationRefusal('metadata.google.internal', undefined, sources)).toMatch(
      /^metadata\.google\.internal is a cloud metadata service: refused for sources/,
    );
  });

  it('lifts a refusal for what the operator listed: a CIDR, an address, a host name, and for that caller only', () => {
    const loopback: DestinationPolicy = { ...sources, allow: ['127.0.0.0/8', '::1', 'receiver'] };
    expect(destinationRefusal('127.0.0.1', undefined, loopback)).toBeUndefined();
    expect(destinationRefusal('::ffff:127.0.0.1', undefined, loopback)).toBeUndefined();
    expect(destinationRefusal('::1', undefined, loopback)).toBeUndefined();
    expect(destinationRefusal('receiver', '172.18.0.5', loopback)).toBeUndefined();
    expect(destinationRefusal('10.0.0.1', undefined, loopback)).toBeDefined();
    expect(destinationRefusal('other', '172.18.0.5', loopback)).toMatch(/^other resolves to 172\.18\.0\.5, a/);
    expect(destinationRefusal('127.0.0.1', undefined, receivers.policy)).toMatch(
      /refused for webhook receivers \(WEBHOOK_ALLOW_DESTINATIONS/,
    );
  });
});

describe('guardedLookup', () => {
  it('refuses a name resolving to a denied address (localhost), naming the setting', async () => {
    const { err } = await lookup(sources, 'localhost', false);
    expect(isDestinationRefusal(err)).toBe(true);
    expect(err?.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback, private, link-local/);
    expect(err?.message).toContain('INGEST_ALLOW_DESTINATIONS');
  });

  it('passes allowed addresses through, one or all', async () => {
    const allowed = { ...sources, allow: ['127.0.0.1'] };
    expect(await lookup(allowed, '127.0.0.1', false)).toEqual({ err: null, address: '127.0.0.1' });
    expect(await lookup(allowed, '127.0.0.1', true)).toEqual({
      err: null,
      address: [{ address: '127.0.0.1', family: 4 }],
    });
  });
});

describe('the agents, against a real server on loopback', () => {
  let server: Server;
  let port = 0;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":[]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const limits = { timeoutMs: 2000, deadlineMs: 5000, maxBytes: 1 << 20 };

  it.each([`127.0.0.1`, `[::ffff:127.0.0.1]`, 'localhost'])(
    "a source's GET to %s is refused without a request, unless allowed",
    async (host) => {
      const before = requests;
      const agent = createSourceAgent(sources);
      const outcome = await fetchPage(agent, `http://${host}:${port}/x`, {}, limits);
      await agent.close();
      expect(outcome.kind).toBe('refused');
      expect(requests).toBe(before);

      const open = createSourceAgent(sourceDestinationPolicy({ allowDestinations: ['127.0.0.0/8', '::1'] }));
      const ok = await fetchPage(open, `http://${host}:${port}/x`, {}, limits);
      await open.close();
      expect(ok.kind).toBe('ok');
      expect(requests).toBe(before + 1);
    },
  );

  it('an entry <source>=<cidr> of INGEST_ALLOW_DESTINATIONS allows that source alone', async () => {
    const ingest = { allowDestinations: ['src-a=127.0.0.1', '10.9.0.0/16'] };
    expect(sourceDestinationPolicy(ingest, 'src-a').allow).toEqual(['127.0.0.1', '10.9.0.0/16']);
    expect(sourceDestinationPolicy(ingest, 'src-b').allow).toEqual(['10.9.0.0/16']);
    expect(sourceDestinationPolicy(ingest).allow).toEqual(['10.9.0.0/16']);
    const before = requests;
    const b = createSourceAgent(sourceDestinationPolicy(ingest, 'src-b'));
    const refused = await fetchPage(b, `http://127.0.0.1:${port}/x`, {}, limits);
    await b.close();
    expect(refused.kind === 'refused' && refused.reason).toMatch(
      /refused for source src-b \(INGEST_ALLOW_DESTINATIONS/,
    );
    expect(requests).toBe(before);
    const a = createSourceAgent(sourceDestinationPolicy(ingest, 'src-a'));
    expect((await fetchPage(a, `http://127.0.0.1:${port}/x`, {}, limits)).kind).toBe('ok');
    await a.close();
    expect(requests).toBe(before + 1);
  });

  it('a webhook POST to loopback is rejected without a request; http: needs WEBHOOK_ALLOW_HTTP', async () => {
    const before = requests;
    const agent = createWebhookAgent(receivers);
    const refused = await postWebhook(agent, `http://127.0.0.1:${port}/hook`, {}, '{}', 2000, receivers);
    expect(refused).toMatchObject({ kind: 'rejected', status: null });
    expect(refused.kind === 'rejected' && refused.reason).toMatch(
      /refused for webhook receivers \(WEBHOOK_ALLOW_DESTINATIONS/,
    );
    const literal = await postWebhook(agent, 'https://[64:ff9b::a9fe:a9fe]/hook', {}, '{}', 2000, receivers);
    expect(literal).toMatchObject({ kind: 'rejected', status: null });
    await agent.close();
    expect(requests).toBe(before);

    const httpOff = webhookDestinations({ allowDestinations: ['127.0.0.1'], allowHttp: false });
    const noHttp = createWebhookAgent(httpOff);
    const clear = await postWebhook(noHttp, `http://127.0.0.1:${port}/hook`, {}, '{}', 2000, httpOff);
    await noHttp.close();
    expect(clear.kind === 'rejected' && clear.reason).toMatch(/is not https: refused.*WEBHOOK_ALLOW_HTTP=true/);
    expect(requests).toBe(before);

    const allowed = webhookDestinations({ allowDestinations: ['127.0.0.1'], allowHttp: true });
    const open = createWebhookAgent(allowed);
    const ok = await postWebhook(open, `http://127.0.0.1:${port}/hook`, {}, '{}', 2000, allowed);
    await open.close();
    expect(ok.kind).toBe('delivered');
    expect(requests).toBe(before + 1);
  });

  it('a webhook header undici cannot send is rejected at once, naming the header, never its value', async () => {
    const before = requests;
    const allowed = webhookDestinations({ allowDestinations: ['127.0.0.1'], allowHttp: true });
    const agent = createWebhookAgent(allowed);
    const outcome = await postWebhook(
      agent,
      `http://127.0.0.1:${port}/hook`,
      { 'x-tenant': 'acme\r\nx-injected: 1' },
      '{}',
      2000,
      allowed,
    );
    await agent.close();
    expect(outcome).toMatchObject({ kind: 'rejected', status: null });
    const reason = outcome.kind === 'rejected' ? outcome.reason : '';
    expect(reason).toContain('x-tenant');
    expect(reason).not.toContain('acme');
    expect(requests).toBe(before);
  });
});
