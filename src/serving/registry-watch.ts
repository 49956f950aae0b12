/**
 * LISTEN for production changes (the registry NOTIFYs inside the promoting transaction) on a
 * dedicated connection, reconnecting with backoff; and the periodic reconcile that catches anything
 * a dropped connection missed. Together: a promotion is served within a second, and a missed message
 * within SERVE_RECONCILE_MS.
 */
import { Client } from 'pg';
import { z } from 'zod';
import { PRODUCTION_CHANNEL } from '../registry';
import { modelName } from '../shared/names';
import type { Metrics } from './metrics';
import type { ModelStore, StoreLog } from './model-store';

/**
 * What the registry sends (insertStageEvent in src/registry/queries.ts). Any database login may NOTIFY
 * this channel, so a payload is untrusted text: anything else is counted and ignored, never thrown
 * (a throw in a pg event handler ends the process: every replica at once).
 */
const productionNotice = z.object({ model: modelName, version: z.number().int().positive() });

export type NoticeProblem = 'not-json' | 'invalid';

/** The payload's model, or why it is not a notice of the registry. */
export function readNotice(payload: string): { model: string } | { problem: NoticeProblem } {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return { problem: 'not-json' };
  }
  const parsed = productionNotice.safeParse(raw);
  return parsed.success ? { model: parsed.data.model } : { problem: 'invalid' };
}

export interface RegistryWatch {
  close(): Promise<void>;
}

export function watchRegistry(
  databaseUrl: string,
  store: ModelStore,
  reconcileMs: number,
  log: StoreLog,
  metrics: Pick<Metrics, 'malformedNotices'>,
): RegistryWatch {
  let closed = false;
  let client: Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoffMs = 250;
  // malformed notices since the last log line: logged once per reconcile interval, not per message
  let malformed = 0;
  let lastMalformed = '';

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new Client({ connectionString: databaseUrl, application_name: 'mlops-serve-listen' });
    c.on('error', (err) => log.warn('registry listener lost', { error: err.message }));
    c.on('end', () => {
      if (client === c) client = undefined;
      schedule();
    });
    c.on('notification', (n) => {
      if (n.channel !== PRODUCTION_CHANNEL) return;
      const notice = readNotice(n.payload ?? '');
      if ('problem' in notice) {
        metrics.malformedNotices.inc({ problem: notice.problem });
        malformed++;
        lastMalformed = (n.payload ?? '').slice(0, 100);
        return;
      }
      const { model } = notice;
      store
        .refresh(model)
        .catch((err: unknown) => log.warn('refresh after NOTIFY failed', { model, error: (err as Error).message }));
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${PRODUCTION_CHANNEL}`);
      client = c;
      backoffMs = 250;
      // Anything promoted while we were not listening.
      await store.reconcile().catch(() => {});
    } catch (err) {
      log.warn('registry listener cannot connect', { error: (err as Error).message, retryMs: backoffMs });
      await c.end().catch(() => {});
      schedule();
    }
  };
  const schedule = (): void => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, backoffMs);
    backoffMs = Math.min(backoffMs * 2, 10_000);
  };

  const reconcile = setInterval(() => {
    if (malformed > 0) {
      log.warn(`ignored malformed ${PRODUCTION_CHANNEL} notifications`, { count: malformed, last: lastMalformed });
      malformed = 0;
    }
    store.reconcile().catch((err: unknown) => store.registryFailed(err as Error));
  }, reconcileMs);
  void connect();

  return {
    async close() {
      closed = true;
      clearInterval(reconcile);
      if (retryTimer) clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
