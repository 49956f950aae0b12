/**
 * Where source requests may go. A definition's secrets go to the origin of its `url` and to the
 * origins it lists in `allowedOrigins`, nowhere else: a next link (Link header, next URL in the body)
 * to any other origin fails the run, non-retryably, before a byte is sent to it. Link-local and cloud
 * metadata addresses (src/http/destinations.ts) are refused unless the operator sets
 * INGEST_ALLOW_LINK_LOCAL: by literal address here, and by resolved address in the source agent.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isLinkLocal, type LinkLocalPolicy } from '../http/destinations';
import { FailureType } from '../shared/errors';
import type { ResolvedSource } from '../shared/source-definition';

/** Sources reach link-local addresses only when the operator sets this (config.ingest.allowLinkLocal). */
export const SOURCE_LINK_LOCAL = { setting: 'INGEST_ALLOW_LINK_LOCAL' } as const satisfies LinkLocalPolicy;

/** The origins a source's requests (and its secrets) may go to. */
export function sourceOrigins(source: ResolvedSource): Set<string> {
  return new Set([new URL(source.url).origin, ...(source.allowedOrigins ?? []).map((o) => new URL(o).origin)]);
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
      `${what} ${url} is a link-local or cloud metadata address (${target.hostname}): refused. Set ${SOURCE_LINK_LOCAL.setting}=true on the worker if a source really lives there.`,
      FailureType.SourceDestination,
      { host: target.hostname },
    );
  }
}
