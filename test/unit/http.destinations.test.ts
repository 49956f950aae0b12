/**
 * Link-local refusals name what governs them for their caller: a source's names INGEST_ALLOW_LINK_LOCAL,
 * a webhook receiver's says no setting allows it (the ingest setting does not apply to webhooks).
 * Lookups are of IP literals, which dns.lookup answers without the network.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { LookupAddress } from 'node:dns';
import { guardedLookup, isLinkLocalRefusal, type LinkLocalPolicy } from '../../src/http/destinations';
import { SOURCE_LINK_LOCAL } from '../../src/ingest/destinations';
import { createWebhookAgent, postWebhook, RECEIVER_LINK_LOCAL } from '../../src/webhooks/post';

function lookup(
  policy: LinkLocalPolicy,
  hostname: string,
  all: boolean,
): Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[] }> {
  return new Promise((resolve) =>
    guardedLookup(policy)(hostname, { all }, (err, address) => resolve({ err, address })),
  );
}

describe('guardedLookup', () => {
  it("refuses a source's link-local address naming INGEST_ALLOW_LINK_LOCAL", async () => {
    const { err } = await lookup(SOURCE_LINK_LOCAL, '169.254.169.254', false);
    expect(err?.code).toBe('ELINKLOCAL');
    expect(isLinkLocalRefusal(err)).toBe(true);
    expect(err?.message).toBe(
      '169.254.169.254 resolves to the link-local address 169.254.169.254: refused (INGEST_ALLOW_LINK_LOCAL)',
    );
  });

  it("refuses a webhook receiver's link-local address saying no setting allows it, not naming the ingest setting", async () => {
    const { err } = await lookup(RECEIVER_LINK_LOCAL, 'fe80::1', false);
    expect(isLinkLocalRefusal(err)).toBe(true);
    expect(err?.message).toBe(
      'fe80::1 resolves to the link-local address fe80::1: refused (always, for webhook receivers: no setting allows it)',
    );
    expect(err?.message).not.toContain('INGEST_ALLOW_LINK_LOCAL');
  });

  it('passes other addresses through, one or all', async () => {
    expect(await lookup(RECEIVER_LINK_LOCAL, '127.0.0.1', false)).toEqual({ err: null, address: '127.0.0.1' });
    expect(await lookup(SOURCE_LINK_LOCAL, '127.0.0.1', true)).toEqual({
      err: null,
      address: [{ address: '127.0.0.1', family: 4 }],
    });
  });
});

describe('postWebhook to a link-local literal', () => {
  const agent = createWebhookAgent();
  afterAll(() => agent.close());

  it('is rejected without a request, saying no setting allows it', async () => {
    const outcome = await postWebhook(agent, 'http://169.254.169.254/hook', {}, '{}', 1000);
    expect(outcome).toEqual({
      kind: 'rejected',
      status: null,
      head: '',
      reason:
        '169.254.169.254 is a link-local or cloud metadata address: refused (always, for webhook receivers: no setting allows it)',
    });
  });
});
