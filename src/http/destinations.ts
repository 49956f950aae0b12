/**
 * Where no outbound request may go unless the operator allows it: any address that is not the public
 * internet's. Judged by the address a connection is about to use, so a name that resolves to
 * 127.0.0.1 is refused like the literal: a host name through `guardedLookup`, a literal IP (which
 * Node connects to without a lookup) in `guardedConnector`, the one connect function both sources'
 * and webhook receivers' agents use. IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d,
 * compatible ::a.b.c.d, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16) are judged by that
 * IPv4 address, so `[::a9fe:a9fe]` is 169.254.169.254.
 *
 * The deny list (docs/SECURITY.md, "Secrets and destinations"):
 * - IPv4: 0/8 (unspecified, "this network"), 10/8, 100.64/10 (CGNAT), 127/8, 169.254/16, 172.16/12,
 *   192.0.0/24, 192.0.2/24, 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4 (multicast),
 *   240/4 (reserved, 255.255.255.255 broadcast);
 * - IPv6: ::/128, ::1/128, 100::/64 (discard), 2001::/32 (Teredo: an IPv4 address in disguise),
 *   2001:db8::/32, fc00::/7 (unique local, fd00:ec2::254 among them), fe80::/10, fec0::/10, ff00::/8;
 * - names: cloud metadata services (metadata.google.internal, …), whatever they resolve to.
 *
 * An operator lifts it per caller (`DestinationPolicy.allow`: INGEST_ALLOW_DESTINATIONS,
 * WEBHOOK_ALLOW_DESTINATIONS) with CIDRs, addresses, or host names (a listed name is allowed whatever
 * it resolves to: a compose service name). Every refusal names the setting that would allow it.
 */
import { buildConnector } from 'undici';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { networkErrorCode } from './network-errors';

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'metadata.goog', 'instance-data']);

const DENIED_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
const DENIED_V6 = [
  '::/128',
  '::1/128',
  '100::/64',
  '2001::/32',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
];

/** The deny list as CIDRs, for docs and tests. */
export const DENIED_RANGES: readonly string[] = [...DENIED_V4, ...DENIED_V6];

const denied = cidrList([...DENIED_V4, ...DENIED_V6]);

/** The code of a refused connection, which callers classify as not retryable. */
const DESTINATION_REFUSED = 'EDESTINATION';

/** Whom a policy guards, the setting that allows more, and what the operator allowed. */
export interface DestinationPolicy {
  /** e.g. 'sources', 'webhook receivers' */
  caller: string;
  /** the setting named in refusals, e.g. INGEST_ALLOW_DESTINATIONS */
  setting: string;
  /** CIDRs, IP addresses or host names the operator allowed despite the deny list */
  allow: readonly string[];
}

function cidrList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [ip, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(ip, family);
    else list.addSubnet(ip, Number(bits), family);
  }
  return list;
}

/** The 16 bytes of an IPv6 address (dotted IPv4 tail and `::` included), or undefined. */
function ipv6Bytes(text: string): number[] | undefined {
  if (isIP(text) !== 6) return undefined;
  let address = text.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** The IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4), or undefined. */
export function embeddedIPv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  if (!b) return undefined;
  const v4 = (at: number) => b.slice(at, at + 4).join('.');
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12); // ::ffff:a.b.c.d
  if (zero(0, 12) && !zero(12, 16) && !(zero(12, 15) && b[15] === 1)) return v4(12); // ::a.b.c.d (not ::, ::1)
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    if (zero(4, 12)) return v4(12); // 64:ff9b::/96
    if (b[4] === 0 && b[5] === 1) return v4(12); // 64:ff9b:1::/48 (local-use NAT64)
  }
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2); // 2002:AABB:CCDD::/48 (6to4)
  return undefined;
}

/** An address as judged: the IPv4 address an IPv6 form carries, else itself. */
function judged(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const plain = address.replace(/^\[|\]$/g, '');
  const v4 = embeddedIPv4(plain);
  if (v4) return { address: v4, family: 'ipv4' };
  return { address: plain, family: isIP(plain) === 4 ? 'ipv4' : 'ipv6' };
}

/** Whether `address` (an IP, in any form) is on the deny list. */
export function isDeniedAddress(address: string): boolean {
  const a = judged(address);
  return denied.check(a.address, a.family);
}

/** A compiled policy: the allowed CIDRs and names. */
interface Allowance {
  cidrs: BlockList;
  hosts: Set<string>;
}

const allowances = new WeakMap<DestinationPolicy, Allowance>();
function allowance(policy: DestinationPolicy): Allowance {
  let a = allowances.get(policy);
  if (!a) {
    const ips = policy.allow.filter((e) => isIP(e.split('/')[0]!));
    a = {
      cidrs: cidrList(ips),
      hosts: new Set(policy.allow.filter((e) => !ips.includes(e)).map((e) => e.toLowerCase())),
    };
    allowances.set(policy, a);
  }
  return a;
}

function allowedAddress(address: string, policy: DestinationPolicy): boolean {
  const { cidrs } = allowance(policy);
  const plain = address.replace(/^\[|\]$/g, '');
  const a = judged(plain);
  return cidrs.check(a.address, a.family) || (a.address !== plain && cidrs.check(plain, 'ipv6'));
}

/**
 * Why a connection to `host` (a name or a literal IP) at `address` (what it resolved to; the literal
 * itself for an IP) is refused, or undefined when it may go.
 */
export function destinationRefusal(
  host: string,
  address: string | undefined,
  policy: DestinationPolicy,
): string | undefined {
  const name = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (allowance(policy).hosts.has(name)) return undefined;
  const allowHint = `${policy.setting} lists the addresses or names ${policy.caller} may reach despite the deny list`;
  if (METADATA_HOSTS.has(name))
    return `${host} is a cloud metadata service: refused for ${policy.caller} (${allowHint})`;
  const ip = address ?? (isIP(name) ? name : undefined);
  if (ip === undefined || !isDeniedAddress(ip) || allowedAddress(ip, policy)) return undefined;
  const as = judged(ip).address;
  const shown = as === ip.replace(/^\[|\]$/g, '') ? ip : `${ip} (IPv4 ${as})`;
  const subject = isIP(name) ? `${shown} is` : `${host} resolves to ${shown},`;
  return `${subject} a loopback, private, link-local or otherwise non-public address: refused for ${policy.caller} (${allowHint})`;
}

function refusedError(reason: string): NodeJS.ErrnoException {
  return Object.assign(new Error(reason), { code: DESTINATION_REFUSED });
}

/** Whether a request failed because its destination was refused. */
export function isDestinationRefusal(err: unknown): boolean {
  return networkErrorCode(err) === DESTINATION_REFUSED;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Lookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** dns.lookup that fails when any address a name resolves to is refused by `policy`. */
export function guardedLookup(policy: DestinationPolicy): Lookup {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      for (const a of addresses) {
        const reason = destinationRefusal(hostname, a.address, policy);
        if (reason) return callback(refusedError(reason), '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

type Connector = buildConnector.connector;

/**
 * undici's connect function under `policy`: a literal IP host (Node connects to it without a lookup)
 * and a metadata name are judged here, a name's addresses in guardedLookup.
 */
export function guardedConnector(policy: DestinationPolicy): Connector {
  const connect = buildConnector({ lookup: guardedLookup(policy) } as buildConnector.BuildOptions);
  return (options, callback) => {
    const reason =
      isIP(options.hostname) || METADATA_HOSTS.has(options.hostname.toLowerCase())
        ? destinationRefusal(options.hostname, undefined, policy)
        : undefined;
    if (reason) {
      callback(refusedError(reason), null);
      return;
    }
    connect(options, callback);
  };
}
