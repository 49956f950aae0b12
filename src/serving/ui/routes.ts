/**
 * The model pages under /ui/ (server-rendered HTML, no scripts):
 *
 *   GET /ui/                                  every model
 *   GET /ui/models/{model}[?before=&events_before=]  one model: versions, stage history, PSI, runs
 *   GET /ui/models/{model}/drift/{report}     one drift report: per-feature bars
 *
 * A bad path or query parameter is a 400 page naming the field and the value; a missing model or
 * report a 404 page naming it. The Content-Security-Policy forbids every script, so even markup that
 * escaped escaping could not run one.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MODEL_NAME } from '../../shared/names';
import type { UiDeps } from './deps';
import { driftReportPage } from './drift-report-page';
import type { Html } from './html';
import { errorPage } from './layout';
import { modelPage } from './model-page';
import { overviewPage } from './overview-page';

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/** A refused parameter: answered with errorPage(status, field, value). */
class PageError extends Error {
  constructor(
    readonly status: number,
    readonly field: string,
    readonly value: string,
    message: string,
  ) {
    super(message);
  }
}

function send(reply: FastifyReply, status: number, body: Html): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('cache-control', 'no-store')
    .send(body.text);
}

function modelParam(value: string, field = 'model'): string {
  if (!MODEL_NAME.test(value))
    throw new PageError(
      400,
      field,
      value,
      `${field} ${JSON.stringify(value)} is not a model name (a letter, then letters, digits, _ or -, at most 63 characters)`,
    );
  return value;
}

/** A positive integer parameter (a path segment or a query value), or undefined when absent. */
function idParam(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : String(value);
  if (!/^[1-9]\d{0,15}$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new PageError(400, field, text, `${field} ${JSON.stringify(text)} is not a positive integer`);
  return Number(text);
}

export function registerUi(app: FastifyInstance, deps: UiDeps): void {
  app.get('/ui', async (_req, reply) => reply.redirect('/ui/', 301));

  app.get<{ Querystring: Record<string, unknown> }>('/ui/', async (req, reply) => {
    const after = req.query.after;
    if (after !== undefined) modelParam(Array.isArray(after) ? after.join(',') : String(after), 'after');
    return send(reply, 200, await overviewPage(deps, after === undefined ? undefined : String(after)));
  });

  app.get<{ Params: { model: string }; Querystring: Record<string, unknown> }>(
    '/ui/models/:model',
    async (req, reply) => {
      const model = modelParam(req.params.model);
      const body = await modelPage(deps, model, {
        before: idParam('before', req.query.before),
        eventsBefore: idParam('events_before', req.query.events_before),
      });
      return body
        ? send(reply, 200, body)
        : send(
            reply,
            404,
            errorPage(
              404,
              'model',
              model,
              `no model ${JSON.stringify(model)}: the registry has no version of it and MODELS_CONFIG does not declare it`,
            ),
          );
    },
  );

  app.get<{ Params: { model: string; report: string } }>('/ui/models/:model/drift/:report', async (req, reply) => {
    const model = modelParam(req.params.model);
    const id = idParam('report', req.params.report)!;
    const body = await driftReportPage(deps, model, id);
    return body
      ? send(reply, 200, body)
      : send(
          reply,
          404,
          errorPage(404, 'report', String(id), `model ${JSON.stringify(model)} has no drift report ${id}`),
        );
  });

  app.addHook('onClose', async () => deps.retrains.close());
}

/** The answer to an error thrown by a /ui/ route, or undefined for errors of other routes. */
export function uiErrorPage(reply: FastifyReply, url: string, err: unknown): FastifyReply | undefined {
  if (err instanceof PageError)
    return send(reply, err.status, errorPage(err.status, err.field, err.value, err.message));
  if (!url.startsWith('/ui/')) return undefined;
  reply.log.error(err);
  return send(reply, 500, errorPage(500, 'request', url, 'the page could not be made: see the service log'));
}

/** The 404 page of a /ui/ path no route serves, or undefined for other paths. */
export function uiNotFound(reply: FastifyReply, url: string): FastifyReply | undefined {
  if (!url.startsWith('/ui/')) return undefined;
  return send(reply, 404, errorPage(404, 'url', url, `no page ${url}`));
}
