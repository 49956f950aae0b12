/** The page writer's routing of rows to day partitions: half-open ranges, gaps to the parent, hours counted for leaves only. */
import { describe, expect, it } from 'vitest';
import { routeRows, type LeafPartition } from '../../src/feature-store/leaf-partitions';
import type { FeatureRow } from '../../src/feature-store/rows';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const t0 = Date.parse('2026-11-01T00:00:00Z');
// ten days, with day 5 missing (dropped, or never made)
const partitions: LeafPartition[] = Array.from({ length: 10 }, (_, i) => ({
  name: `features.p${i}`,
  start: t0 + i * DAY,
  end: t0 + (i + 1) * DAY,
})).filter((p) => p.name !== 'features.p5');
const row = (id: string, ms: number): FeatureRow => ({
  entityId: id,
  eventTime: new Date(ms).toISOString(),
  features: {},
});

describe('routeRows', () => {
  it('puts a row in the partition whose [start, end) holds its event time', () => {
    const routed = routeRows(
      [row('a', t0), row('b', t0 + DAY - 1), row('c', t0 + DAY), row('d', t0 + 9 * DAY + 5 * HOUR)],
      partitions,
    );
    expect(routed.leaves).toEqual([
      { partition: 'features.p0', rows: [row('a', t0), row('b', t0 + DAY - 1)] },
      { partition: 'features.p1', rows: [row('c', t0 + DAY)] },
      { partition: 'features.p9', rows: [row('d', t0 + 9 * DAY + 5 * HOUR)] },
    ]);
    expect(routed.parent).toEqual([]);
  });

  it('sends rows in a gap, before the first or after the last partition to the parent, and does not count them', () => {
    const routed = routeRows(
      [
        row('gap', t0 + 5 * DAY + HOUR),
        row('before', t0 - 1),
        row('after', t0 + 10 * DAY),
        row('in', t0 + 2 * DAY + 30 * 60_000),
      ],
      partitions,
    );
    expect(routed.parent.map((r) => r.entityId)).toEqual(['gap', 'before', 'after']);
    expect([...routed.hours]).toEqual([[t0 + 2 * DAY, 1]]);
  });

  it('counts the leaves’ rows per UTC hour', () => {
    const routed = routeRows(
      [row('a', t0 + HOUR), row('b', t0 + 2 * HOUR - 1), row('c', t0 + 2 * HOUR), row('d', t0 + HOUR + 1)],
      partitions,
    );
    expect(new Map(routed.hours)).toEqual(
      new Map([
        [t0 + HOUR, 3],
        [t0 + 2 * HOUR, 1],
      ]),
    );
  });

  it('with no partitions known, sends everything to the parent', () => {
    const routed = routeRows([row('a', t0)], []);
    expect(routed).toEqual({ leaves: [], parent: [row('a', t0)], hours: new Map() });
  });
});
