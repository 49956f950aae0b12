/**
 * LISTEN for production changes (the registry NOTIFYs inside the promoting transaction) on a
 * dedicated connection, reconnecting with backoff; and the periodic reconcile that catches anything
 * a dropped connection missed. Together: a promotion is served within a second, and a missed message
 * within SERVE_RECONCILE_MS.
 */
import { Client } from 'pg';
import { PRODUCTION_CHANNEL } from '../registry';
import type { ModelStore, StoreLog } from './model-store';

export interface RegistryWatch {
  close(): Promise<void>;
}

export function watchRegistry(
  databaseUrl: string,
  store: ModelStore,
  reconcileMs: number,
  log: StoreLog,
): RegistryWatch {
  let closed = false;
  let client: Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoffMs = 250;

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new Client({ connectionString: databaseUrl, application_name: 'mlops-serve-listen' });
    c.on('error', (err) => log.warn('registry listener lost', { error: err.message }));
    c.on('end', () => {
      if (client === c) client = undefined;
      schedule();
    });
    c.on('notification', (n) => {
      if (n.channel !== PRODUCTION_CHANNEL || !n.payload) return;
      const { model } = JSON.parse(n.payload) as { model: string };
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
