/** The contract of ingestSource (src/workflows/ingest-source.ts): what its starters and callers pass and get back. */
import type { IngestCounts } from '../ingest-counts';
import type { PageRef, RunParams } from '../pagination';
import type { ResolvedSource, SourceDefinition } from '../source-definition';
import type { TimeWindow } from '../time-window';

export const INGEST_SOURCE = 'ingestSource';

export interface IngestSourceInput {
  /** the source name: `<name>.json` in INGEST_SOURCES_DIR unless `definition` is given */
  source: string;
  /** an inline definition (its name must equal `source`); no secrets: headers reference env vars */
  definition?: SourceDefinition;
  /** only records in [start, end), passed to the source through its `window` parameters */
  window?: TimeWindow;
  /** ignore the watermark of an incremental source and read everything. @default false */
  full?: boolean;
  /** index partitions that closed, after the run. @default true */
  indexClosedPartitions?: boolean;
  /** continue as new once the history has this many events (the starter passes INGEST_HISTORY_EVENT_LIMIT); at least 10. @default 2000 */
  historyEventLimit?: number;
  /** set by continue-as-new; not for callers */
  checkpoint?: IngestCheckpoint;
}

/** Where a run stands: carried across continue-as-new. */
export interface IngestCheckpoint {
  definition: ResolvedSource;
  params: RunParams;
  /** the next page to fetch; null when the source is exhausted */
  next: PageRef | null;
  counts: IngestCounts;
  lastPage: string | null;
  previousWatermark: string | null;
  continuedAsNew: number;
  /** whether the definition's pagination was detected ('auto') from the first response */
  detected?: boolean;
}

export interface IngestSourceOutput extends IngestCounts {
  source: string;
  featureSet: string;
  /** recordsSeen === recordsWritten + deadLetters + duplicatesMerged, and no whole page was dead-lettered */
  reconciled: boolean;
  /** the pagination the run used, e.g. `next-url at /@odata.nextLink (detected)` */
  pagination: string;
  /** the watermark after the run (incremental sources) */
  watermark: string | null;
  continuedAsNew: number;
  indexedPartitions: string[];
}

export type IngestSourceWorkflow = (input: IngestSourceInput) => Promise<IngestSourceOutput>;
