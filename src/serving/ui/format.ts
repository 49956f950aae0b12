/** How the pages write numbers, times and windows (UTC, so every reader sees the same text). */
import type { TimeWindow } from '../../shared/time-window';

/** 2026-12-02 01:23 UTC */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "5 min ago", "3 h ago", "2 d ago" relative to `now`. */
export function formatAgo(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function formatWindow(w: TimeWindow | null): string {
  return w ? `${formatTime(w.start)} → ${formatTime(w.end)}` : '—';
}

/** A metric or PSI: 4 significant digits, '—' when absent. */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Number(n.toPrecision(4)).toString();
}

/** A share as a percentage: 12.3% */
export function formatShare(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}
