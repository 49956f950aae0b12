/**
 * A real HTTP webhook receiver for the tests: it verifies each request's signature with the secret,
 * answers from a script per path (a status, optionally Retry-After; 'hang': never answer; 'hold': keep
 * the request open until the client goes away), and dedupes by webhook-id as docs/WEBHOOKS.md tells
 * receivers to: `accepted` counts the ids it took (the first 2xx per id).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/webhooks/signature';

export type ReceiverAction = { status: number; body?: string; retryAfter?: string } | 'hang' | 'hold';

export interface ReceivedRequest {
  path: string;
  id: string;
  event: string;
  timestamp: number;
  attempt: number;
  body: string;
  verified: boolean;
  /** the status answered, or null when the request ended unanswered (hang, hold, client gone) */
  answered: number | null;
  duplicate: boolean;
  at: number;
}

export interface WebhookReceiver {
  url(path: string): string;
  /** the answers of `path`, in order; 200 once they run out */
  script(path: string, actions: ReceiverAction[]): void;
  requests(path?: string): ReceivedRequest[];
  /** ids answered 2xx for the first time, per id: how many times each was taken (1 = exactly once) */
  accepted(): Map<string, number>;
  /** resolves when `path` has received `n` requests */
  waitFor(path: string, n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const scripts = new Map<string, ReceiverAction[]>();
  const received: ReceivedRequest[] = [];
  const taken = new Map<string, number>();
  const waiters: Array<() => void> = [];
  const open = new Set<ServerResponse>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) =>
        (Array.isArray(req.headers[name]) ? req.headers[name][0] : req.headers[name]) as string | undefined;
      const path = (req.url ?? '/').split('?')[0]!;
      const record: ReceivedRequest = {
        path,
        id: header('webhook-id') ?? '',
        event: header('x-webhook-event') ?? '',
        timestamp: Number(header('webhook-timestamp')),
        attempt: Number(header('x-webhook-attempt')),
        body,
        verified: verifySignature(
          secret,
          { id: header('webhook-id'), signature: header('webhook-signature'), timestamp: header('webhook-timestamp') },
          body,
        ).ok,
        answered: null,
        duplicate: false,
        at: Date.now(),
      };
      received.push(record);
      for (const w of waiters.splice(0)) w();
      const action = scripts.get(path)?.shift() ?? { status: 200 };
      if (action === 'hang' || action === 'hold') {
        open.add(res);
        res.on('close', () => open.delete(res));
        return;
      }
      // a receiver refuses what it cannot verify
      const status = record.verified ? action.status : 401;
      if (status >= 200 && status < 300) {
        record.duplicate = taken.has(record.id);
        taken.set(record.id, (taken.get(record.id) ?? 0) + (record.duplicate ? 0 : 1));
      }
      record.answered = status;
      res.writeHead(status, {
        'content-type': 'text/plain',
        ...(typeof action === 'object' && action.retryAfter ? { 'retry-after': action.retryAfter } : {}),
      });
      res.end(
        typeof action === 'object' && action.body !== undefined
          ? action.body
          : record.duplicate
            ? 'duplicate, ignored'
            : `took ${record.id}`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    script: (path, actions) => scripts.set(path, [...actions]),
    requests: (path) => received.filter((r) => path === undefined || r.path === path),
    accepted: () => new Map(taken),
    async waitFor(path, n, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.filter((r) => r.path === path).length < n) {
        if (Date.now() > deadline)
          throw new Error(`receiver: ${path} got ${received.filter((r) => r.path === path).length} of ${n} requests`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 500);
        });
      }
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
