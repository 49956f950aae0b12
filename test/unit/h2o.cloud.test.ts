/**
 * The H2O cloud check (src/h2o/cloud.ts) on GET /3/Cloud answers shaped as H2O 3.46 sends them
 * (fields as test/stack/h2o.cloud.test.ts sees them on a real 2-node cloud), the errors each verdict
 * stands for, and the H2O_NODES / H2O_CLOUD_MEMBERS settings.
 */
import type { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { checkCloud, cloudError, resolveMembers, type CloudExpectation } from '../../src/h2o/cloud';
import type { CloudV3 } from '../../src/h2o/schemas';
import { ConfigError, FailureType, H2OCloudIncompleteError, H2OCloudLostError } from '../../src/shared/errors';
import { toFailure } from '../../src/shared/failure';
import { h2oNodeHeapMiB } from '../../src/stack/h2o';

function cloud(nodes: Array<[string, boolean]>, fields: Partial<CloudV3> = {}): CloudV3 {
  return {
    version: '3.46.0.11',
    branch_name: 'rel-3.46.0',
    build_number: '11',
    build_too_old: false,
    cloud_name: 'mlops-ab12cd34',
    cloud_size: nodes.length,
    cloud_healthy: nodes.every(([, h]) => h),
    bad_nodes: nodes.filter(([, h]) => !h).length,
    consensus: true,
    locked: true,
    nodes: nodes.map(([ip_port, healthy]) => ({
      ip_port,
      healthy,
      num_cpus: 2,
      nthreads: 1,
      max_mem: 700 << 20,
      free_mem: 600 << 20,
    })),
    ...fields,
  };
}

const two: CloudExpectation = {
  size: 2,
  members: [
    { member: '127.0.0.1:54341', addresses: ['127.0.0.1:54341'] },
    { member: '127.0.0.1:54343', addresses: ['127.0.0.1:54343'] },
  ],
};
const A = '127.0.0.1:54341';
const B = '127.0.0.1:54343';

describe('checkCloud', () => {
  it('accepts a complete, healthy, agreed and locked cloud and names its nodes', () => {
    const check = checkCloud(
      cloud([
        [A, true],
        [B, true],
      ]),
      two,
    );
    expect(check).toMatchObject({
      verdict: 'ok',
      ok: true,
      size: 2,
      expected: 2,
      locked: true,
      unhealthy: [],
      missing: [],
    });
    expect(check.message).toBe(`H2O cloud mlops-ab12cd34: 2 of 2 nodes (H2O_NODES=2), locked, consensus (${A}, ${B})`);
    expect(cloudError(check)).toBeUndefined();
  });

  it('a node H2O marks unhealthy (no heartbeat) is a lost cloud, named by ip:port, even though the size is still 2', () => {
    const check = checkCloud(
      cloud([
        [A, true],
        [B, false],
      ]),
      two,
    );
    expect(check).toMatchObject({ verdict: 'lost', ok: false, size: 2, unhealthy: [B] });
    expect(check.message).toContain(`lost node ${B}`);
    expect(check.message).toContain('do not heal');
    const err = cloudError(check);
    expect(err).toBeInstanceOf(H2OCloudLostError);
    expect((err as H2OCloudLostError).nodes).toEqual([B]);
  });

  it('a locked cloud that shrank lost the members it no longer lists', () => {
    const check = checkCloud(cloud([[A, true]]), two);
    expect(check).toMatchObject({ verdict: 'lost', missing: [B] });
    expect(check.message).toContain(`lost node ${B}`);
    expect(check.message).toContain('shrank to 1 of 2 nodes');
  });

  it('an unlocked cloud short of nodes is still forming: incomplete, naming the missing node, retryable', () => {
    const check = checkCloud(cloud([[A, true]], { locked: false }), two);
    expect(check).toMatchObject({ verdict: 'forming', ok: false, missing: [B] });
    expect(check.message).toContain('incomplete: 1 of 2 nodes (H2O_NODES=2), missing 127.0.0.1:54343');
    const err = cloudError(check);
    expect(err).toBeInstanceOf(H2OCloudIncompleteError);
    expect(toFailure(err)).toBe(err); // retryable: returned unchanged, Temporal retries it
  });

  it('refuses a complete cloud without consensus or not locked', () => {
    expect(
      checkCloud(
        cloud(
          [
            [A, true],
            [B, true],
          ],
          { consensus: false },
        ),
        two,
      ),
    ).toMatchObject({ verdict: 'forming', ok: false });
    expect(
      checkCloud(
        cloud(
          [
            [A, true],
            [B, true],
          ],
          { consensus: false },
        ),
        two,
      ).message,
    ).toContain('no consensus');
    const unlocked = checkCloud(
      cloud(
        [
          [A, true],
          [B, true],
        ],
        { locked: false },
      ),
      two,
    );
    expect(unlocked).toMatchObject({ verdict: 'forming', ok: false, locked: false });
    expect(unlocked.message).toContain('not locked');
  });

  it('a cloud larger than H2O_NODES is a misconfiguration (ConfigError naming H2O_NODES)', () => {
    const check = checkCloud(
      cloud([
        [A, true],
        [B, true],
        ['127.0.0.1:54345', true],
      ]),
      two,
    );
    expect(check.verdict).toBe('oversized');
    const err = cloudError(check);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe('H2O_NODES');
  });

  it('matches a member configured by name through its resolved address', async () => {
    const [member] = await resolveMembers(['localhost:54341']);
    expect(member!.addresses).toContain('localhost:54341');
    const ipv4 = member!.addresses.find((a) => a.startsWith('127.'));
    const check = checkCloud(cloud([[ipv4 ?? A, true]]), { size: 1, members: [member!] });
    if (ipv4) expect(check).toMatchObject({ verdict: 'ok', missing: [] });
  });

  it('H2OCloudLostError becomes a non-retryable H2OCloudLost failure carrying the nodes', () => {
    const f = toFailure(new H2OCloudLostError([B], `lost node ${B}`)) as ApplicationFailure;
    expect([f.type, f.nonRetryable, f.message, f.details]).toEqual([
      FailureType.H2OCloudLost,
      true,
      `lost node ${B}`,
      [{ nodes: [B] }],
    ]);
  });
});

describe('H2O_NODES and H2O_CLOUD_MEMBERS', () => {
  it('default to one node; N nodes get the local loopback layout, ports +2 apart', () => {
    expect(loadConfig({}).h2o).toMatchObject({ nodes: 1, members: ['127.0.0.1:54321'] });
    expect(loadConfig({ H2O_NODES: '3', H2O_URL: 'http://127.0.0.1:54341' }).h2o.members).toEqual([
      '127.0.0.1:54341',
      '127.0.0.1:54343',
      '127.0.0.1:54345',
    ]);
  });

  it('takes explicit members (a compose cloud), as many as H2O_NODES', () => {
    expect(loadConfig({ H2O_NODES: '2', H2O_CLOUD_MEMBERS: 'h2o-1:54321, h2o-2:54321' }).h2o.members).toEqual([
      'h2o-1:54321',
      'h2o-2:54321',
    ]);
    expect(() => loadConfig({ H2O_NODES: '3', H2O_CLOUD_MEMBERS: 'h2o-1:54321,h2o-2:54321' })).toThrow(
      /H2O_CLOUD_MEMBERS=.*as many host:port entries as H2O_NODES \(3\), found 2/,
    );
    expect(() => loadConfig({ H2O_NODES: '1', H2O_CLOUD_MEMBERS: 'h2o-1' })).toThrow(
      /H2O_CLOUD_MEMBERS="h2o-1" is invalid/,
    );
    expect(() => loadConfig({ H2O_NODES: '0' })).toThrow(/H2O_NODES="0" is invalid/);
  });

  it('the local stack splits the one heap budget evenly over the nodes', () => {
    expect(h2oNodeHeapMiB(4096, 1)).toBe(2867);
    expect(h2oNodeHeapMiB(4096, 2)).toBe(1433);
    expect(h2oNodeHeapMiB(2048, 2)).toBe(716);
  });
});
