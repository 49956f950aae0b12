/**
 * HTML built only through the `html` tagged template: every interpolated value is escaped by
 * escapeHtml unless it is already Html (made by this template), so a page cannot interpolate a
 * registry value unescaped by mistake. There is deliberately no `raw()`: markup comes from template
 * literals in this folder, data from the database never becomes markup.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The one escaping function: text safe in element content and in quoted attribute values (HTML and inline SVG). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const MADE_HERE = Symbol('html');

/** Markup made by `html`; its text is safe to send. */
export class Html {
  readonly text: string;
  constructor(token: symbol, text: string) {
    if (token !== MADE_HERE) throw new TypeError('Html is made only by the html`…` template');
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

/** What a template may interpolate: markup, text and numbers (escaped), nothing (null, undefined, false), or lists of these. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(MADE_HERE, out);
}
