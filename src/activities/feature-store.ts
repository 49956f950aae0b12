/** Feature-store activities: source watermarks and the GIN index of closed partitions (src/feature-store/). */
import { heartbeat } from '@temporalio/activity';
import { indexClosedPartitions } from '../feature-store/partitions';
import { readWatermark, saveWatermark, type SaveWatermarkInput, type SourceWatermark } from '../feature-store/watermarks';
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

    /** Builds the GIN index of every closed daily partition that lacks one. */
    async indexClosedPartitions(input: IndexClosedPartitionsInput = {}): Promise<IndexClosedPartitionsOutput> {
      const days = input.openPartitionDays ?? config.ingest.openPartitionDays;
      return { indexed: await indexClosedPartitions(pool, days, (partition) => heartbeat({ partition })) };
    },
  };
}
