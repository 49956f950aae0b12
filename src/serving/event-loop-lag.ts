/**
 * Event-loop lag, measured as how late a 100 ms timer fires, the largest over the last second. Used
 * for load shedding instead of @fastify/under-pressure's own delay check, which reads an idle second
 * with no histogram samples as an infinite delay and sheds an idle service.
 */
import { performance } from 'node:perf_hooks';

const INTERVAL_MS = 100;
const WINDOW = 10;

export interface EventLoopLag {
  /** ms: the largest lag of the last second */
  current(): number;
  stop(): void;
}

export function watchEventLoopLag(): EventLoopLag {
  const recent: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    recent.push(Math.max(0, now - last - INTERVAL_MS));
    if (recent.length > WINDOW) recent.shift();
    last = now;
  }, INTERVAL_MS);
  timer.unref();
  return {
    // A timer that has not fired yet while the loop is blocked: the time since it was due counts too.
    current: () => Math.max(0, ...recent, performance.now() - last - INTERVAL_MS),
    stop: () => clearInterval(timer),
  };
}
