/**
 * A per-source request budget shared by every activity on every worker: GCRA (the generic cell rate
 * algorithm) on one Redis key holding the theoretical arrival time. The script reads Redis's own
 * clock, so workers with skewed clocks still share one schedule.
 */
import type Redis from 'ioredis';
import type { RateLimit } from '../shared/source-definition';
import { sleep } from './sleep';

// KEYS[1]: the source's key. ARGV[1]: emission interval (µs per request). ARGV[2]: burst.
// Returns 0 when the request may go now (and books it), else the µs to wait before asking again.
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allow_at = tat + interval - burst * interval
if now < allow_at then return allow_at - now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return 0
`;

export function rateLimitKey(source: string): string {
  return `mlops:ingest:rate:${source}`;
}

/** Waits until the source's budget allows one more request; returns how long it waited (ms). */
export async function acquireRequestSlot(
  redis: Redis,
  source: string,
  limit: RateLimit,
  signal?: AbortSignal,
): Promise<number> {
  const intervalUs = Math.max(1, Math.round(1_000_000 / limit.requestsPerSecond));
  const burst = limit.burst ?? 1;
  let waited = 0;
  for (;;) {
    const waitUs = Number(await redis.eval(GCRA, 1, rateLimitKey(source), intervalUs, burst));
    if (waitUs <= 0) return waited;
    const ms = Math.ceil(waitUs / 1000);
    await sleep(ms, signal);
    waited += ms;
  }
}
