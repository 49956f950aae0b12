/** Messages of ingestSource (src/workflows/ingest-source.ts), for the workflow and its callers alike. */
import { defineQuery } from '@temporalio/workflow';
import type { IngestCounts } from '../ingest-counts';

export interface IngestProgress extends IngestCounts {
  source: string;
  /** the next page to fetch (pageKey), or null when all pages are fetched */
  cursor: string | null;
  pagesInFlight: number;
  continuedAsNew: number;
  done: boolean;
}

/** `temporal workflow query --name progress`: pages, records written, dead letters and the cursor. */
export const progressQuery = defineQuery<IngestProgress>('progress');
