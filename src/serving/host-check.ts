/**
 * The DNS-rebinding guard of a service on a loopback address: a page on evil.example that re-points
 * its name to 127.0.0.1 can make a developer's browser read /ui/ and /metrics, but the browser still
 * sends `Host: evil.example`. So on loopback only loopback names pass (localhost, 127.0.0.0/8, [::1],
 * any port), plus SERVE_ALLOWED_HOSTS. On any other address (the compose deployment's 0.0.0.0 behind
 * nginx, which sends the client's Host) there is no check.
 */

const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/** a Host header: a name or an [IPv6] literal, then an optional port */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/;

function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name === '[::1]' || LOOPBACK_IPV4.test(name);
}

/** The name a Host header names, lowercased and without its port; undefined when it is malformed. */
export function hostName(header: string): string | undefined {
  return HOST_HEADER.exec(header.toLowerCase())?.[1];
}

/**
 * The check for a service listening on `listenHost`: a predicate on the Host header, or undefined
 * when the address is not a loopback one (no check).
 */
export function hostCheck(
  listenHost: string,
  allowed: readonly string[],
): ((header: string | undefined) => boolean) | undefined {
  const listen = listenHost.toLowerCase();
  if (!(isLoopbackName(listen) || listen === '::1')) return undefined;
  const extra = new Set(allowed);
  return (header) => {
    const name = header === undefined ? undefined : hostName(header);
    return name !== undefined && (isLoopbackName(name) || extra.has(name));
  };
}
