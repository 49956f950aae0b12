/**
 * Where source requests may go. A definition's requests go to the origin of its `url` and to the
 * origins it lists in `allowedOrigins`, nowhere else: a next link (Link header, next URL in the body)
 * to any other origin fails the run, non-retryably, before a byte is sent to it. Each secret is bound
 * further to its own origins (src/ingest/secrets.ts). Non-public addresses (loopback, private,
 * link-local, metadata: src/http/destinations.ts) are refused unless the operator lists them in
 * INGEST_ALLOW_DESTINATIONS: by literal host here, and by resolved address in the source agent.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { IngestConfig } from '../config';
import { destinationRefusal, type DestinationPolicy } from '../http/destinations';
import { FailureType } from '../shared/errors';
import type { ResolvedSource } from '../shared/source-definition';

/**
 * The destination policy of sources, or of the source `name`: the deny list, less what
 * INGEST_ALLOW_DESTINATIONS allows for every source, and its `<name>=…` entries for that one.
 */
export function sourceDestinationPolicy(
  ingest: Pick<IngestConfig, 'allowDestinations'>,
  name?: string,
): DestinationPolicy {
  const allow: string[] = [];
  for (const entry of ingest.allowDestinations) {
    const scope = /^([a-z][a-z0-9_-]*)=(.*)$/.exec(entry);
    if (!scope) allow.push(entry);
    else if (scope[1] === name) allow.push(scope[2]!);
  }
  return { caller: name === undefined ? 'sources' : `source ${name}`, setting: 'INGEST_ALLOW_DESTINATIONS', allow };
}

/** Whether INGEST_ALLOW_DESTINATIONS has entries for `name` alone (the source then gets a connection pool of its own). */
export function hasOwnDestinations(ingest: Pick<IngestConfig, 'allowDestinations'>, name: string): boolean {
  return ingest.allowDestinations.some((e) => e.startsWith(`${name}=`));
}

/** The origins a source's requests may go to. */
export function sourceOrigins(source: ResolvedSource): Set<string> {
  return new Set([new URL(source.url).origin, ...(source.allowedOrigins ?? []).map((o) => new URL(o).origin)]);
}

/**
 * Refuses a request to `url` that may not go out: another origin (naming both), or a non-public
 * address the policy does not allow. `what` says whose URL it is ("the source's url", "the next page's URL").
 */
export function checkDestination(url: string, origins: Set<string>, policy: DestinationPolicy, what: string): void {
  const target = new URL(url);
  if (!origins.has(target.origin)) {
    const [own, ...others] = [...origins];
    throw ApplicationFailure.nonRetryable(
      `${what} ${url} is on origin ${target.origin}, not the source's origin ${own}${others.length ? ` or its allowedOrigins (${others.join(', ')})` : ''}: refused, and no request (or secret) was sent to it. List "${target.origin}" in the definition's allowedOrigins if the source really lives there too.`,
      FailureType.SourceDestination,
      { origin: target.origin, sourceOrigin: own },
    );
  }
  const refusal = destinationRefusal(target.hostname, undefined, policy);
  if (refusal)
    throw ApplicationFailure.nonRetryable(`${what} ${url}: ${refusal}`, FailureType.SourceDestination, {
      host: target.hostname,
    });
}
