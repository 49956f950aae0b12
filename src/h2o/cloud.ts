/**
 * The state of an H2O cloud, judged against what the deployment expects (H2O_NODES, H2O_CLOUD_MEMBERS):
 * usable only when it is complete (every expected node, no other), every node healthy, the nodes
 * agree (consensus) and it is locked (no node can join any more). H2O clouds do not heal: a node
 * that dies leaves the cloud unusable until every node is restarted, so a lost node is reported as
 * such, by its ip:port. checkCloud is pure (unit-tested on /3/Cloud answers); the rest reads the cluster.
 */
import { lookup } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  H2OCloudIncompleteError,
  H2OCloudLostError,
  H2OError,
  H2OUnreachableError,
} from '../shared/errors';
import { H2OClient } from './client';
import type { CloudV3 } from './schemas';

export type CloudVerdict = 'ok' | 'forming' | 'lost' | 'oversized';

/** An expected node: as configured (host:port) and the ip:port forms the cloud may report it as. */
export interface ExpectedMember {
  member: string;
  addresses: string[];
}

export interface CloudExpectation {
  /** H2O_NODES */
  size: number;
  /** H2O_CLOUD_MEMBERS, resolved (resolveMembers) */
  members: ExpectedMember[];
}

export interface CloudCheck {
  verdict: CloudVerdict;
  /** true when training can run on it */
  ok: boolean;
  name: string;
  size: number;
  expected: number;
  locked: boolean;
  consensus: boolean;
  /** every node the cloud lists, ip:port */
  nodes: Array<{ address: string; healthy: boolean }>;
  /** nodes the cloud marks unhealthy (missed heartbeats: dead or cut off) */
  unhealthy: string[];
  /** expected members the cloud does not list */
  missing: string[];
  message: string;
}

const RESTART =
  'H2O clouds do not heal: restart every node of the cloud (npm run stack:up restarts the local one; docs/DEPLOY.md)';

/** Judges a GET /3/Cloud answer. */
export function checkCloud(cloud: CloudV3, expected: CloudExpectation): CloudCheck {
  const nodes = cloud.nodes.map((n, i) => ({ address: n.ip_port ?? `node ${i}`, healthy: n.healthy !== false }));
  const listed = new Set(nodes.map((n) => n.address));
  const unhealthy = nodes.filter((n) => !n.healthy).map((n) => n.address);
  const missing = expected.members.filter((m) => !m.addresses.some((a) => listed.has(a))).map((m) => m.member);
  const locked = cloud.locked === true;
  const size = cloud.cloud_size;
  const base = {
    name: cloud.cloud_name,
    size,
    expected: expected.size,
    locked,
    consensus: cloud.consensus,
    nodes,
    unhealthy,
    missing,
  };
  const of = `${size} of ${expected.size} node${expected.size === 1 ? '' : 's'} (H2O_NODES=${expected.size})`;
  const missingText = missing.length ? `, missing ${missing.join(', ')}` : '';

  if (unhealthy.length > 0 || (locked && size < expected.size)) {
    const lost = [...unhealthy, ...(size < expected.size ? missing : [])];
    const how = unhealthy.length
      ? `unhealthy (no heartbeat): ${unhealthy.join(', ')}`
      : `the cloud shrank to ${of}${missingText}`;
    return {
      ...base,
      verdict: 'lost',
      ok: false,
      message: `H2O cloud ${cloud.cloud_name} lost node${lost.length === 1 ? '' : 's'} ${lost.join(', ') || '(unnamed)'}: ${how}; ${RESTART}`,
    };
  }
  if (size > expected.size) {
    return {
      ...base,
      verdict: 'oversized',
      ok: false,
      message: `H2O cloud ${cloud.cloud_name} has ${size} nodes (${nodes.map((n) => n.address).join(', ')}) but H2O_NODES=${expected.size}; set H2O_NODES (and H2O_CLOUD_MEMBERS) to the cloud you run`,
    };
  }
  if (size < expected.size) {
    return {
      ...base,
      verdict: 'forming',
      ok: false,
      message: `H2O cloud ${cloud.cloud_name} is incomplete: ${of}${missingText}; start the missing node${missing.length === 1 ? '' : 's'} (same -name and -flatfile) before training`,
    };
  }
  if (!cloud.consensus) {
    return {
      ...base,
      verdict: 'forming',
      ok: false,
      message: `H2O cloud ${cloud.cloud_name} has ${of} but no consensus yet: its nodes do not agree on the membership`,
    };
  }
  if (!locked) {
    return {
      ...base,
      verdict: 'forming',
      ok: false,
      message: `H2O cloud ${cloud.cloud_name} has ${of} but is not locked: another node could still join it`,
    };
  }
  return {
    ...base,
    verdict: 'ok',
    ok: true,
    message: `H2O cloud ${cloud.cloud_name}: ${of}, locked, consensus (${nodes.map((n) => n.address).join(', ')})`,
  };
}

/** The error a check that is not ok stands for: lost (non-retryable), incomplete (retryable), or a misconfiguration. */
export function cloudError(check: CloudCheck): Error | undefined {
  if (check.verdict === 'lost') return new H2OCloudLostError([...check.unhealthy, ...check.missing], check.message);
  if (check.verdict === 'forming') return new H2OCloudIncompleteError(check.missing, check.message);
  if (check.verdict === 'oversized')
    return new ConfigError('H2O_NODES', String(check.expected), `the size of the cloud H2O reports: ${check.message}`);
  return undefined;
}

/** Resolves each configured host:port to the ip:port forms H2O lists nodes by. A name that does not resolve stays as written. */
export async function resolveMembers(members: string[]): Promise<ExpectedMember[]> {
  return Promise.all(
    members.map(async (member) => {
      const split = member.lastIndexOf(':');
      const host = member.slice(0, split).replace(/^\[|\]$/g, '');
      const port = member.slice(split + 1);
      const ips = await lookup(host, { all: true })
        .then((r) => r.map((a) => a.address))
        .catch(() => [] as string[]);
      return { member, addresses: [member, ...ips.map((ip) => `${ip}:${port}`)] };
    }),
  );
}

export interface CloudSettings {
  nodes: number;
  members: string[];
}

/**
 * Reads GET /3/Cloud and judges it. When the node H2O_URL names refuses connections but another
 * member of a multi-node cloud answers, the cloud lost that node (a node cannot rejoin a locked
 * cloud): judged from the other member's answer, with H2O_URL's node named, at once rather than
 * after H2O's heartbeat timeout.
 */
export async function readCloud(client: H2OClient, settings: CloudSettings): Promise<CloudCheck> {
  const members = await resolveMembers(settings.members);
  let cloud: CloudV3;
  try {
    cloud = await client.cloud();
  } catch (err) {
    if (!(err instanceof H2OUnreachableError) || !err.refused || settings.nodes < 2) throw err;
    return readFromPeer(client, settings.nodes, members, err);
  }
  return checkCloud(cloud, { size: settings.nodes, members });
}

async function readFromPeer(
  client: H2OClient,
  size: number,
  members: ExpectedMember[],
  unreachable: H2OUnreachableError,
): Promise<CloudCheck> {
  const url = new URL(client.baseUrl);
  const self = members.find((m) => m.addresses.includes(url.host));
  const name = self?.member ?? url.host;
  for (const peer of members.filter((m) => m !== self)) {
    const cloud = await new H2OClient(`${url.protocol}//${peer.member}`, { timeoutMs: 5000 })
      .cloud()
      .catch(() => undefined);
    if (!cloud) continue;
    const check = checkCloud(cloud, { size, members });
    const missing = [...new Set([...check.missing, name])];
    const why = `H2O_URL's node ${name} refuses connections while ${peer.member} answers`;
    return {
      ...check,
      verdict: 'lost',
      ok: false,
      missing,
      message: `H2O cloud ${cloud.cloud_name} lost node ${[...new Set([name, ...check.unhealthy])].join(', ')}: ${why}; ${RESTART}`,
    };
  }
  throw unreachable;
}

/**
 * Locks the cloud by writing (and deleting) a one-row frame: H2O locks a cloud at its first key.
 * Only a complete cloud is locked here, so a half-formed one never locks short of a node.
 */
export async function lockCloud(client: H2OClient): Promise<void> {
  const key = `mlops_cloud_lock_${randomBytes(4).toString('hex')}`;
  await client.rapids(`(tmp= ${key} (rows (cbind 1) [0]))`);
  await client.deleteFrame(key).catch(() => false);
}

/** readCloud, locking a cloud that is complete, healthy and agreed but not locked yet (a fresh one). */
export async function readAndLockCloud(client: H2OClient, settings: CloudSettings): Promise<CloudCheck> {
  const check = await readCloud(client, settings);
  // (not `missing`: behind a proxy or a name H2O does not list, members may not match; the size does)
  const lockable = check.verdict === 'forming' && !check.locked && check.consensus && check.size === check.expected;
  if (!lockable) return check;
  await lockCloud(client);
  return readCloud(client, settings);
}

/** Throws the check's error (H2OCloudLostError, H2OCloudIncompleteError, ConfigError) unless the cloud is usable. */
export function assertCloudUsable(check: CloudCheck): CloudCheck {
  const err = cloudError(check);
  if (err) throw err;
  return check;
}

/**
 * pollJob's watchCloud: throws H2OCloudLostError when the cloud lost a node; nothing else (a poll
 * never waits for a forming cloud, and an unanswered /3/Cloud is left to the poll's own grace).
 */
export function cloudLossWatch(client: H2OClient, settings: CloudSettings): () => Promise<void> {
  return async () => {
    const check = await readCloud(client, settings).catch((err: unknown) =>
      err instanceof H2OUnreachableError ? undefined : Promise.reject(err),
    );
    if (check?.verdict === 'lost') throw cloudError(check)!;
  };
}

/**
 * Runs H2O work (an extraction, a MOJO export); when it fails on a multi-node cloud that lost a node,
 * the loss is the error (H2OCloudLostError, non-retryable) rather than its symptom (a refused
 * connection, a failed parse), so the run stops instead of retrying against a cloud that cannot heal.
 */
export async function namingCloudLoss<T>(
  client: H2OClient,
  settings: CloudSettings,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (settings.nodes > 1 && (err instanceof H2OUnreachableError || err instanceof H2OError))
      await cloudLossWatch(client, settings)();
    throw err;
  }
}
