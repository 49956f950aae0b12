/** Source watermarks (features.source_watermarks): where an incremental source's last finished run ended. */
import type { Pool } from 'pg';
import { unstorableText } from './rows';

export interface SourceWatermark {
  /** latest event time written by a finished run (ISO-8601), or null */
  eventTime: string | null;
  /** the last page the run read, as pageKey names it */
  cursor: string | null;
}

export interface SaveWatermarkInput {
  source: string;
  /** latest event time written; never moves the watermark backwards */
  eventTime: string | null;
  cursor: string | null;
  workflowId: string;
}

/**
 * The cursor column's text. A cursor is whatever the source sent, and PostgreSQL text refuses a NUL or
 * a lone surrogate (rows.ts): such a cursor is stored as its JSON string (ASCII escapes), and so is one
 * starting with '"', so that reading back is exact. Every other cursor (a pageKey: `cursor=…`, a URL)
 * is stored as it is, as it always was.
 */
export function encodeCursor(cursor: string): string {
  return unstorableText(cursor) || cursor.startsWith('"') ? JSON.stringify(cursor) : cursor;
}

export function decodeCursor(stored: string): string {
  return stored.startsWith('"') ? (JSON.parse(stored) as string) : stored;
}

export async function readWatermark(pool: Pick<Pool, 'query'>, source: string): Promise<SourceWatermark> {
  const { rows } = await pool.query<{ event_time: Date | null; cursor: string | null }>(
    'SELECT event_time, cursor FROM features.source_watermarks WHERE source = $1',
    [source],
  );
  const row = rows[0];
  return {
    eventTime: row?.event_time?.toISOString() ?? null,
    cursor: row?.cursor == null ? null : decodeCursor(row.cursor),
  };
}

/** Records where a finished run ended. GREATEST keeps a late, older run from moving it back. */
export async function saveWatermark(pool: Pick<Pool, 'query'>, input: SaveWatermarkInput): Promise<SourceWatermark> {
  const { rows } = await pool.query<{ event_time: Date | null; cursor: string | null }>(
    `INSERT INTO features.source_watermarks AS w (source, event_time, cursor, updated_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (source) DO UPDATE SET event_time = GREATEST(w.event_time, EXCLUDED.event_time),
       cursor = EXCLUDED.cursor, updated_by = EXCLUDED.updated_by, updated_at = now()
     RETURNING event_time, cursor`,
    [input.source, input.eventTime, input.cursor === null ? null : encodeCursor(input.cursor), input.workflowId],
  );
  const stored = rows[0]!.cursor;
  return {
    eventTime: rows[0]!.event_time?.toISOString() ?? null,
    cursor: stored === null ? null : decodeCursor(stored),
  };
}
