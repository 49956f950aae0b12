/** The model pages' markup: one escaping function behind the html template, the SVG charts, the Web UI links and their setting. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { escapeHtml, html, Html } from '../../src/serving/ui/html';
import { webUi } from '../../src/serving/ui/links';
import { psiChart } from '../../src/serving/ui/psi-chart';
import { shareBars } from '../../src/serving/ui/share-bars';

const NASTY = `<script>alert(1)</script>"'&`;

describe('html template', () => {
  it('escapes every metacharacter of an interpolated string, in text and in attributes', () => {
    expect(escapeHtml(NASTY)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    const out = html`<p title="${NASTY}">${NASTY}</p>`.text;
    expect(out).toBe(
      `<p title="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</p>`,
    );
    expect(out).not.toContain('<script');
  });

  it('keeps markup made by the template, escapes strings inside lists, and writes nothing for null, undefined and false', () => {
    const items = [NASTY, html`<b>${NASTY}</b>`, null, undefined, false, 3];
    expect(html`<li>${items}</li>`.text).toBe(
      '<li>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;<b>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</b>3</li>',
    );
  });

  it('has no way to wrap a string as markup from outside the template', () => {
    expect(() => new Html(Symbol('html'), '<script>')).toThrow(TypeError);
    // an object pretending to be markup is text
    expect(html`${{ text: '<i>' } as unknown as string}`.text).toBe('[object Object]');
  });
});

describe('charts', () => {
  const drift = {
    kind: 'categorical' as const,
    psi: 0.3,
    verdict: 'drift' as const,
    bins: ['basic', NASTY, '__unseen__', '__null__'],
    expected: [0.5, 0.3, 0.1, 0.1],
    actual: [0.2, 0.6, 0.2, 0],
    warnThreshold: 0.1,
    driftThreshold: 0.25,
  };

  it('share bars: one reference and one current bar per stored bin, labels escaped, widths proportional', () => {
    const svg = shareBars(NASTY, drift).text;
    expect(svg.match(/class="bar-reference"/g)).toHaveLength(4);
    expect(svg.match(/class="bar-current"/g)).toHaveLength(4);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('__unseen__');
    // the largest share (0.6) gets the full width, 0.3 half of it
    expect(svg).toMatch(/class="bar-current" x="190" y="[\d.]+" width="420.0"/);
    expect(svg).toMatch(/class="bar-reference" x="190" y="[\d.]+" width="210.0"/);
  });

  it('PSI chart: a point per report with a PSI, both thresholds drawn', () => {
    const points = [0.05, null, 0.2, 0.4].map((psi, i) => ({
      reportId: i + 1,
      at: `2026-12-0${i + 1}T00:00:00.000Z`,
      psi,
      verdict: 'ok',
      href: `/ui/models/m/drift/${i + 1}`,
    }));
    const svg = psiChart(points, { warn: 0.1, drift: 0.25 }).text;
    expect(svg.match(/<circle class="psi-point/g)).toHaveLength(3);
    expect(svg).toContain('class="threshold threshold-warn"');
    expect(svg).toContain('class="threshold threshold-drift"');
    expect(svg).toContain('href="/ui/models/m/drift/4"');
    expect(psiChart([], { warn: 0.1, drift: 0.25 }).text).toContain('No drift report');
  });
});

describe('Web UI links and SERVE_UI_TEMPORAL_URL', () => {
  it('links a run by workflow and run id, encoded, in the configured namespace', () => {
    const w = webUi('http://127.0.0.1:8233', 'my ns');
    expect(w.run('retrain-churn', 'abc-1')).toBe(
      'http://127.0.0.1:8233/namespaces/my%20ns/workflows/retrain-churn/abc-1/history',
    );
    expect(w.workflow('a"b')).toBe(
      `http://127.0.0.1:8233/namespaces/my%20ns/workflows?query=${encodeURIComponent('WorkflowId="a\\"b"')}`,
    );
    expect(webUi('', 'default').run('w', 'r')).toBe('/namespaces/default/workflows/w/r/history');
  });

  it('defaults to the local Web UI and accepts an https URL or a same-host path', () => {
    expect(loadConfig({}).serve.uiTemporalUrl).toBe('http://127.0.0.1:8233');
    expect(loadConfig({ SERVE_UI_TEMPORAL_URL: 'https://temporal.example.com/' }).serve.uiTemporalUrl).toBe(
      'https://temporal.example.com',
    );
    expect(loadConfig({ SERVE_UI_TEMPORAL_URL: '/' }).serve.uiTemporalUrl).toBe('');
    expect(loadConfig({ SERVE_UI_TEMPORAL_URL: '/temporal/' }).serve.uiTemporalUrl).toBe('/temporal');
  });

  it.each([
    'javascript:alert(1)',
    '//evil.example.com',
    'ftp://x',
    'https://u:p@x',
    'https://x/?q=1',
    '/a"b',
    'not a url',
  ])('refuses %s naming the variable', (value) => {
    expect(() => loadConfig({ SERVE_UI_TEMPORAL_URL: value })).toThrow(/SERVE_UI_TEMPORAL_URL/);
  });
});
