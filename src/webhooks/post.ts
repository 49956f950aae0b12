/**
 * One POST of a delivery with undici, classified for the retry policy (the rules of src/http/, as for a
 * source's GET):
 * - delivered: 2xx;
 * - retry: 408, 429, 5xx, a timeout, a reset or refused connection; carries Retry-After;
 * - rejected: any other status (4xx; 3xx too: redirects are never followed, so a signed body never
 *   reaches another origin), a non-public address WEBHOOK_ALLOW_DESTINATIONS does not allow
 *   (src/http/destinations.ts), or an `http:` URL without WEBHOOK_ALLOW_HTTP.
 * Only the first RESPONSE_HEAD_BYTES of the answer are read (and stored); header values never enter a
 * result, since the request's carry the signature.
 */
import { Agent, request } from 'undici';
import type { WebhookConfig } from '../config';
import {
  destinationRefusal,
  guardedConnector,
  isDestinationRefusal,
  type DestinationPolicy,
} from '../http/destinations';
import { describeNetworkError } from '../http/network-errors';
import { parseRetryAfter } from '../http/retry-after';
import { invalidRequest, isRetryableStatus } from '../http/retryable';

export const RESPONSE_HEAD_BYTES = 1024;

export type PostOutcome =
  | { kind: 'delivered'; status: number; head: string }
  | { kind: 'retry'; status: number | null; head: string; reason: string; retryAfterMs: number | undefined }
  | { kind: 'rejected'; status: number | null; head: string; reason: string };

/** Where receivers may be: the deny list less WEBHOOK_ALLOW_DESTINATIONS, and `http:` only with WEBHOOK_ALLOW_HTTP. */
export interface WebhookDestinations {
  policy: DestinationPolicy;
  allowHttp: boolean;
}

export function webhookDestinations(
  webhooks: Pick<WebhookConfig, 'allowDestinations' | 'allowHttp'>,
): WebhookDestinations {
  return {
    policy: { caller: 'webhook receivers', setting: 'WEBHOOK_ALLOW_DESTINATIONS', allow: webhooks.allowDestinations },
    allowHttp: webhooks.allowHttp,
  };
}

/** The worker's connection pool for receivers; every connection is judged by the policy, literal IPs included. */
export function createWebhookAgent(destinations: WebhookDestinations): Agent {
  return new Agent({
    connections: 16,
    keepAliveTimeout: 10_000,
    connect: guardedConnector(destinations.policy),
  });
}

/** Why a POST to `url` may not go out (before any connection), or undefined. */
export function receiverRefusal(url: string, destinations: WebhookDestinations): string | undefined {
  const target = new URL(url);
  if (target.protocol !== 'https:' && !destinations.allowHttp)
    return `${target.origin} is not https: refused, the signed body would travel in clear text (WEBHOOK_ALLOW_HTTP=true on the worker allows http: receivers)`;
  return destinationRefusal(target.hostname, undefined, destinations.policy);
}

export async function postWebhook(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  destinations: WebhookDestinations,
): Promise<PostOutcome> {
  const refusal = receiverRefusal(url, destinations);
  if (refusal) return { kind: 'rejected', status: null, head: '', reason: refusal };
  const deadline = AbortSignal.timeout(timeoutMs);
  let response;
  try {
    response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', 'user-agent': 'mlops-orchestrator-webhooks', ...headers },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: deadline,
    });
  } catch (err) {
    const reason = deadline.aborted ? `no answer within ${timeoutMs} ms` : describeNetworkError(err, timeoutMs);
    if (isDestinationRefusal(err)) return { kind: 'rejected', status: null, head: '', reason };
    // a header undici will not send fails the same way on every attempt
    const invalid = invalidRequest(err, headers);
    if (invalid) return { kind: 'rejected', status: null, head: '', reason: invalid };
    return { kind: 'retry', status: null, head: '', reason, retryAfterMs: undefined };
  }
  const status = response.statusCode;
  let head = '';
  try {
    head = await readHead(response.body);
  } catch (err) {
    // a 2xx whose body stalls is still an answer: the receiver took the event
    if (status < 200 || status >= 300)
      return {
        kind: 'retry',
        status,
        head: '',
        reason: `HTTP ${status}, then the body failed: ${describeNetworkError(err, timeoutMs)}`,
        retryAfterMs: undefined,
      };
  }
  if (status >= 200 && status < 300) return { kind: 'delivered', status, head };
  const reason = `HTTP ${status}${head ? `: ${head.slice(0, 200).replace(/\s+/g, ' ').trim()}` : ''}`;
  if (isRetryableStatus(status)) {
    const retryAfter = response.headers['retry-after'];
    return {
      kind: 'retry',
      status,
      head,
      reason,
      retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
    };
  }
  if (status >= 300 && status < 400)
    return {
      kind: 'rejected',
      status,
      head,
      reason: `${reason} (a redirect: not followed; point the subscription's url at the final address)`,
    };
  return { kind: 'rejected', status, head, reason };
}

/** The first RESPONSE_HEAD_BYTES of a body as text (NULs dropped: PostgreSQL text cannot hold them); the rest is discarded. */
async function readHead(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes >= RESPONSE_HEAD_BYTES) {
      body.destroy();
      break;
    }
  }
  return (
    Buffer.concat(chunks)
      .subarray(0, RESPONSE_HEAD_BYTES)
      .toString('utf8')
      // eslint-disable-next-line no-control-regex -- NUL is what it drops
      .replace(/\u0000/g, '')
  );
}
