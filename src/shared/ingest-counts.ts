/** What a stretch of ingested pages counts; the counts add up across activities and continue-as-new. */

export interface IngestCounts {
  pages: number;
  recordsSeen: number;
  recordsWritten: number;
  deadLetters: number;
  /** whole pages that were not the JSON described, each one dead letter (record_index -1): their records are unknown */
  deadPages: number;
  /** records whose (entity id, event time) repeated within their page: merged, last one wins */
  duplicatesMerged: number;
  /** latest event time written (ISO-8601), or null */
  maxEventTime: string | null;
}

export function emptyCounts(): IngestCounts {
  return {
    pages: 0,
    recordsSeen: 0,
    recordsWritten: 0,
    deadLetters: 0,
    deadPages: 0,
    duplicatesMerged: 0,
    maxEventTime: null,
  };
}

export function addCounts(a: IngestCounts, b: IngestCounts): IngestCounts {
  return {
    pages: a.pages + b.pages,
    recordsSeen: a.recordsSeen + b.recordsSeen,
    recordsWritten: a.recordsWritten + b.recordsWritten,
    deadLetters: a.deadLetters + b.deadLetters,
    // ?? 0: a checkpoint from before whole-page dead letters has no such count
    deadPages: (a.deadPages ?? 0) + (b.deadPages ?? 0),
    duplicatesMerged: a.duplicatesMerged + b.duplicatesMerged,
    maxEventTime: !a.maxEventTime
      ? b.maxEventTime
      : !b.maxEventTime
        ? a.maxEventTime
        : a.maxEventTime > b.maxEventTime
          ? a.maxEventTime
          : b.maxEventTime,
  };
}

/**
 * recordsSeen === recordsWritten + deadLetters + duplicatesMerged, and no whole page was dead-lettered
 * (its records were never seen, so nothing can vouch for them): no record was lost or counted twice.
 */
export function isReconciled(c: IngestCounts): boolean {
  return c.recordsSeen === c.recordsWritten + c.deadLetters + c.duplicatesMerged && (c.deadPages ?? 0) === 0;
}
