/**
 * Where no outbound request may go: link-local and cloud metadata addresses (169.254.169.254 hands
 * out cloud credentials), by literal host (`isLinkLocal`) and by what a name resolves to
 * (`guardedLookup`, for undici's connect option). Sources and webhook receivers both obey it; each
 * refusal names what governs it for its caller (`LinkLocalPolicy`), so no caller is pointed at
 * another's setting.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { networkErrorCode } from './network-errors';

const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata',
  'metadata.goog',
  '100.100.100.200',
  'fd00:ec2::254',
  '[fd00:ec2::254]',
]);

/** The code of guardedLookup's refusal, which callers classify as not retryable. */
const LINK_LOCAL_REFUSED = 'ELINKLOCAL';

/** A link-local (169.254.0.0/16, fe80::/10, their IPv4-mapped forms) or metadata address. */
export function isLinkLocal(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (METADATA_HOSTS.has(h)) return true;
  if (isIP(h) === 4) return h.startsWith('169.254.');
  if (isIP(h) === 6) {
    if (/^fe[89ab][0-9a-f]?:/.test(h)) return true;
    const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(h);
    if (mapped)
      return mapped[1]
        ? mapped[1].startsWith('169.254.')
        : parseInt(mapped[2]!, 16) >> 8 === 169 && (parseInt(mapped[2]!, 16) & 0xff) === 254;
  }
  return false;
}

/**
 * What lifts a caller's link-local refusal, named in the refusal: the setting that allows it
 * (sources: INGEST_ALLOW_LINK_LOCAL), or nothing, for a caller that is always refused (webhook receivers).
 */
export type LinkLocalPolicy = { setting: string } | { alwaysRefusedFor: string };

/** What a refusal says governs it: the setting's name, or that no setting allows it for this caller. */
export function linkLocalGovernor(policy: LinkLocalPolicy): string {
  return 'setting' in policy ? policy.setting : `always, for ${policy.alwaysRefusedFor}: no setting allows it`;
}

/** Whether a request failed because guardedLookup refused its name. */
export function isLinkLocalRefusal(err: unknown): boolean {
  return networkErrorCode(err) === LINK_LOCAL_REFUSED;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Lookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** dns.lookup that fails for names resolving to a link-local or metadata address (undici's connect option), naming `policy`. */
export function guardedLookup(policy: LinkLocalPolicy): Lookup {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const bad = addresses.find((a) => isLinkLocal(a.address));
      if (bad) {
        const refused = Object.assign(
          new Error(
            `${hostname} resolves to the link-local address ${bad.address}: refused (${linkLocalGovernor(policy)})`,
          ),
          { code: LINK_LOCAL_REFUSED },
        );
        return callback(refused, '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}
