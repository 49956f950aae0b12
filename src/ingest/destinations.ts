/**
 * Where source requests may go. A definition's secrets go to the origin of its `url` and to the
 * origins it lists in `allowedOrigins`, nowhere else: a next link (Link header, next URL in the body)
 * to any other origin fails the run, non-retryably, before a byte is sent to it. Link-local and cloud
 * metadata addresses (169.254.169.254 hands out cloud credentials) are refused unless the operator
 * sets INGEST_ALLOW_LINK_LOCAL: by literal address here, and by resolved address in `guardedLookup`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { FailureType } from '../shared/errors';
import type { ResolvedSource } from '../shared/source-definition';

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'metadata.goog', '100.100.100.200', 'fd00:ec2::254', '[fd00:ec2::254]']);

/** The origins a source's requests (and its secrets) may go to. */
export function sourceOrigins(source: ResolvedSource): Set<string> {
  return new Set([new URL(source.url).origin, ...(source.allowedOrigins ?? []).map((o) => new URL(o).origin)]);
}

/** A link-local (169.254.0.0/16, fe80::/10, their IPv4-mapped forms) or metadata address. */
export function isLinkLocal(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (METADATA_HOSTS.has(h)) return true;
  if (isIP(h) === 4) return h.startsWith('169.254.');
  if (isIP(h) === 6) {
    if (/^fe[89ab][0-9a-f]?:/.test(h)) return true;
    const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(h);
    if (mapped) return mapped[1] ? mapped[1].startsWith('169.254.') : parseInt(mapped[2]!, 16) >> 8 === 169 && (parseInt(mapped[2]!, 16) & 0xff) === 254;
  }
  return false;
}

/**
 * Refuses a request to `url` that may not go out: another origin (naming both), or a link-local
 * address. `what` says whose URL it is ("the source's url", "the next page's URL").
 */
export function checkDestination(url: string, origins: Set<string>, allowLinkLocal: boolean, what: string): void {
  const target = new URL(url);
  if (!origins.has(target.origin)) {
    const [own, ...others] = [...origins];
    throw ApplicationFailure.nonRetryable(
      `${what} ${url} is on origin ${target.origin}, not the source's origin ${own}${others.length ? ` or its allowedOrigins (${others.join(', ')})` : ''}: refused, and no request (or secret) was sent to it. List "${target.origin}" in the definition's allowedOrigins if the source really lives there too.`,
      FailureType.SourceDestination,
      { origin: target.origin, sourceOrigin: own },
    );
  }
  if (!allowLinkLocal && isLinkLocal(target.hostname)) {
    throw ApplicationFailure.nonRetryable(
      `${what} ${url} is a link-local or cloud metadata address (${target.hostname}): refused. Set INGEST_ALLOW_LINK_LOCAL=true on the worker if a source really lives there.`,
      FailureType.SourceDestination,
      { host: target.hostname },
    );
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup that fails for names resolving to a link-local or metadata address (undici's connect option). */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const bad = addresses.find((a) => isLinkLocal(a.address));
    if (bad) {
      const refused = Object.assign(new Error(`${hostname} resolves to the link-local address ${bad.address}: refused (INGEST_ALLOW_LINK_LOCAL)`), { code: 'ELINKLOCAL' });
      return callback(refused, '');
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
}
