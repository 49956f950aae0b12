/**
 * Outside text on the terminal (src/cli/terminal-text.ts): a webhook receiver's answer with escape
 * sequences (clear the screen, retitle the window, a C1 CSI, a carriage return that overwrites the
 * line) is printed by `webhooks attempts` / `webhooks deliveries` with each control character shown
 * as \xNN, and in --json as \u00NN; ordinary text, Unicode included, is untouched.
 */
import { describe, expect, it } from 'vitest';
import { printable, printableJson, printableLines } from '../../src/cli/terminal-text';
import { formatAttempts, formatDeliveries } from '../../src/cli/webhooks';

// eslint-disable-next-line no-control-regex -- control characters are what the output must not hold
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const hostile = 'ok\u001b[2J\u001b]0;pwned\u0007 fine\rFAKE\u009b31m\u007f é✓';

describe('printable', () => {
  it('escapes ESC, the other C0 characters, DEL and C1, and nothing else', () => {
    expect(printable(hostile)).toBe('ok\\x1b[2J\\x1b]0;pwned\\x07 fine\\x0dFAKE\\x9b31m\\x7f é✓');
    expect(printable('a\nb\tc')).toBe('a\\x0ab\\x09c');
    expect(printableLines('a\nb\tc\u001b')).toBe('a\nb\tc\\x1b');
  });

  it('keeps --json valid JSON while escaping DEL and C1', () => {
    const text = printableJson({ head: hostile });
    expect(text).not.toMatch(CONTROL_BUT_NEWLINE);
    expect(JSON.parse(text)).toEqual({ head: hostile });
  });

  it("is how the webhooks tables print a receiver's answer", () => {
    const attempts = formatAttempts([
      {
        attempt: 1,
        status: 'rejected',
        url: 'https://hooks.example.com/x',
        startedAt: '2026-12-08T00:00:00.000Z',
        latencyMs: 12,
        responseCode: 418,
        responseHead: hostile,
        error: null,
      },
    ]);
    expect(attempts).not.toMatch(CONTROL_BUT_NEWLINE);
    // the table folds whitespace (the CR too) into spaces first, then escapes what is left
    expect(attempts).toContain('ok\\x1b[2J\\x1b]0;pwned\\x07 fine FAKE\\x9b31m\\x7f é✓');
    const deliveries = formatDeliveries([
      {
        id: 'd'.repeat(32),
        eventId: 'stage_event:1',
        type: 'version.promoted',
        model: 'churn',
        subscription: 'chat',
        status: 'failed',
        attempts: 1,
        lastResponseCode: 418,
        lastLatencyMs: 12,
        error: `HTTP 418: ${hostile}`,
        createdAt: '2026-12-08T00:00:00.000Z',
        finishedAt: null,
      },
    ]);
    expect(deliveries).not.toMatch(CONTROL_BUT_NEWLINE);
    expect(deliveries).toContain('HTTP 418: ok\\x1b[2J');
  });
});
