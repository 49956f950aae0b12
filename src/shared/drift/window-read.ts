/**
 * How a drift check read its window (src/feature-store/window-profiles.ts), recorded with its report
 * (monitoring.drift_reports.read_method and read_stats). Workflow-safe.
 */

/** Why a piece of the window was scanned by the check itself with the exact reader. */
export type ScanReason = 'exact' | 'missing' | 'unanswerable' | 'edge' | 'default-partition';

export interface WindowRead {
  /** 'profiles' when any part came from profiles, 'exact' when every row was scanned by the check */
  method: 'profiles' | 'exact';
  /** partitions read from stored profiles (rebuilt ones included) */
  partitionsFromProfiles: number;
  /** stale stored profiles rebuilt by this check */
  partitionsRebuilt: number;
  /** open or partly covered partitions read from the in-process hourly profiles */
  partitionsFromOpenProfiles: number;
  /** pieces this check scanned with the exact reader, and why */
  scanned: Array<{ start: string; end: string; reason: ScanReason }>;
  /** rows read from the table on behalf of this check (a shared scan counts in the check that ran it) */
  rowsScanned: number;
}
