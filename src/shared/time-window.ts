/** An event-time window and its schema: two ISO-8601 timestamps, start before end. */
import { z } from 'zod';

/** A half-open event-time window [start, end), ISO-8601 strings (workflow payloads carry no Date). */
export interface TimeWindow {
  start: string;
  end: string;
}

const timestamp = z
  .string({ error: 'an ISO-8601 timestamp' })
  .refine((v) => !Number.isNaN(Date.parse(v)), { error: 'an ISO-8601 timestamp' });

export const timeWindow: z.ZodType<TimeWindow> = z
  .object({ start: timestamp, end: timestamp }, { error: 'a window { start, end } of ISO-8601 timestamps' })
  .refine((w) => Date.parse(w.start) < Date.parse(w.end), { path: ['end'], error: 'a time after start' });
