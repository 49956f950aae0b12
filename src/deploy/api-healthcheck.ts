/**
 * The api container's HEALTHCHECK: healthy when this container's inference service answers /readyz
 * with 200 (the registry was read and every declared model serves a production version). Node's own
 * fetch, so the image needs no curl or wget.
 *
 * Exit codes (Docker's): 0 healthy, 1 unhealthy. Run: `node src/deploy/api-healthcheck.js`.
 */
import { loadConfig } from '../config';
import { exitWithHealth } from './health-exit';

export interface ApiHealth {
  healthy: boolean;
  message: string;
}

/** The address to probe: a wildcard listen address is reached on loopback. */
export function probeUrl(host: string, port: number): string {
  const target =
    host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${target}:${port}/readyz`;
}

export async function checkApiHealth(url: string, timeoutMs = 4000): Promise<ApiHealth> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  // the body says which model is not ready, and why: Docker keeps it in `docker inspect`'s health log
  const body = (await res.text()).slice(0, 2000);
  return { healthy: res.status === 200, message: `${url}: ${res.status} ${body}` };
}

if (require.main === module) {
  const { serve } = loadConfig();
  exitWithHealth(checkApiHealth(probeUrl(serve.host, serve.port)));
}
