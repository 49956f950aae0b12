/** Feature-store activities: source watermarks, and the GIN index and profiles of closed partitions (src/feature-store/). */
import { heartbeat } from '@temporalio/activity';
import { profileClosedPartitions, type ProfiledPartition } from '../feature-store/partition-profiles';
import { indexClosedPartitions } from '../feature-store/partitions';
import {
  readWatermark,
  saveWatermark,
  type SaveWatermarkInput,
  type SourceWatermark,
} from '../feature-store/watermarks';
import type { ActivityDeps } from './deps';

export interface ReadWatermarkInput {
  source: string;
}

export interface IndexClosedPartitionsInput {
  /** partitions whose range ended more than this many days ago get their GIN index. @default INGEST_OPEN_PARTITION_DAYS */
  openPartitionDays?: number;
}

export interface IndexClosedPartitionsOutput {
  /** partitions indexed by this call */
  indexed: string[];
  /** feature sets' partitions profiled (or re-profiled after a late write) by this call */
  profiled?: ProfiledPartition[];
}

export function createFeatureStoreActivities({ pool, config }: ActivityDeps) {
  return {
    async readWatermark({ source }: ReadWatermarkInput): Promise<SourceWatermark> {
      return readWatermark(pool, source);
    },

    /** Records where a finished run ended; never moves the watermark back. */
    async saveWatermark(input: SaveWatermarkInput): Promise<SourceWatermark> {
      return saveWatermark(pool, input);
    },

    /**
     * Builds the GIN index of every closed daily partition that lacks one, then the drift profiles of
     * every closed partition whose profile is missing or stale (docs/DRIFT.md, "Profiles").
     */
    async indexClosedPartitions(input: IndexClosedPartitionsInput = {}): Promise<IndexClosedPartitionsOutput> {
      const days = input.openPartitionDays ?? config.ingest.openPartitionDays;
      const indexed = await indexClosedPartitions(pool, days, (partition) => heartbeat({ partition }));
      const profiled = await profileClosedPartitions(pool, days, (partition) =>
        heartbeat({ partition, stage: 'profile' }),
      );
      return { indexed, profiled };
    },
  };
}
