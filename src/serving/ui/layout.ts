/** The page shell every page shares: title, a small stylesheet, the breadcrumb. No scripts at all. */
import { html, type Html, type HtmlValue } from './html';

const STYLE = html`<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem 2rem; color: #1d232a; }
  h1 { font-size: 1.4rem; margin: 0 0 .6rem; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; } h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
  nav { margin-bottom: 1rem; color: #57606a; } a { color: #0a58ca; }
  table { border-collapse: collapse; margin: .4rem 0; } th, td { border-bottom: 1px solid #d8dee4; padding: .25rem .6rem; text-align: left; vertical-align: top; }
  th { background: #f3f5f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .verdict-ok { color: #1a7f37; } .verdict-warn { color: #9a6700; } .verdict-drift { color: #cf222e; font-weight: 600; } .verdict-insufficient_data { color: #57606a; }
  .stage-production { font-weight: 600; color: #1a7f37; } .stage-archived { color: #57606a; }
  .muted { color: #57606a; } .unknown { color: #9a6700; } code { font-size: 12px; }
  svg text { font: 11px system-ui, sans-serif; fill: #1d232a; }
  .legend span { display: inline-block; width: .8rem; height: .8rem; vertical-align: middle; margin: 0 .3rem 0 .8rem; }
</style>`;

export function page(title: string, crumbs: HtmlValue, body: HtmlValue): Html {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>${STYLE}</head>
<body>
<nav><a href="/ui/">models</a>${crumbs}</nav>
${body}
</body>
</html>`;
}

/** The page of a refused request: 404 naming what is missing, 400 naming the field and the value. */
export function errorPage(status: number, field: string, value: string, message: string): Html {
  const title = status === 404 ? 'Not found' : status === 400 ? 'Bad request' : 'Error';
  return page(
    `${title}: ${message}`,
    null,
    html`<h1>${status} ${title}</h1><p class="error" data-field="${field}" data-value="${value}">${message}</p>`,
  );
}

export function verdictText(verdict: string | null | undefined): Html {
  return verdict ? html`<span class="verdict-${verdict}">${verdict}</span>` : html`<span class="muted">—</span>`;
}
