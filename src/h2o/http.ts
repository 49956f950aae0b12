/**
 * The H2O-3 REST transport: form-encoded requests (ModelBuilders and Grid read only form parameters,
 * never JSON), JSON answers, and H2O error bodies turned into H2OError with H2O's own message, the HTTP
 * status and the parameter H2O names. Connection failures become H2OUnreachableError (retryable).
 */
import { request, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import { H2OError, H2OUnreachableError, ValidationError } from '../shared/errors';
import type { H2OParameterValue } from '../shared/training-spec';

/** A form parameter; undefined and null are left out of the request. */
export type FormValue = H2OParameterValue | null | undefined;
export type FormParams = Record<string, FormValue>;

/** The H2OErrorV3 / H2OModelBuilderErrorV3 body fields we read. */
export interface H2OErrorBody {
  msg?: string;
  dev_msg?: string;
  http_status?: number;
  exception_type?: string;
  exception_msg?: string;
  values?: {
    argument?: string;
    messages?: Array<{ _log_level?: number; _field_name?: string; _message?: string }>;
  };
}

/** H2O's log level of a validation message that makes the build fail (ERRR). */
const ERRR_LEVEL = 1;

function encodeArrayItem(item: string | number): string {
  if (typeof item === 'number') return String(item);
  // H2O's array syntax has no escape for '"': such an item cannot be sent intact.
  if (item.includes('"')) throw new ValidationError('H2O array item', item, 'must not contain a double quote');
  return `"${item}"`;
}

/** One value in H2O's form syntax: booleans true/false, arrays [a,"b"]. */
export function encodeFormValue(value: H2OParameterValue): string {
  if (Array.isArray(value)) return `[${value.map(encodeArrayItem).join(',')}]`;
  return String(value);
}

export function encodeForm(params: FormParams): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    form.append(key, encodeFormValue(value));
  }
  return form.toString();
}

/** H2O wraps messages in "\n\nERROR MESSAGE:\n\n…\n\n"; keep the message itself. */
export function cleanH2OMessage(text: string): string {
  return text
    .replace(/^\s*ERROR MESSAGE:\s*/, '')
    .trim()
    .replace(/\s*\n\s*/g, '; ');
}

/** The parameter an H2O error is about: the first ERRR field, an unknown parameter, or a missing key's argument. */
export function errorField(body: H2OErrorBody): string | undefined {
  const errr = body.values?.messages?.find((m) => m._log_level === ERRR_LEVEL && m._field_name);
  if (errr?._field_name) return errr._field_name.replace(/^_/, '');
  const unknown = /Unknown parameter: ?([^\s;]+)/.exec(body.msg ?? '');
  if (unknown) return unknown[1];
  return body.values?.argument;
}

/** Builds the H2OError for an error answer; `text` is the raw body (not always JSON). */
export function h2oErrorFromBody(method: string, path: string, status: number, text: string): H2OError {
  let body: H2OErrorBody | undefined;
  try {
    body = JSON.parse(text) as H2OErrorBody;
  } catch {
    body = undefined;
  }
  const raw = body?.msg ?? body?.exception_msg ?? text;
  const message = cleanH2OMessage(raw || `HTTP ${status}`);
  return new H2OError(
    `H2O ${method} ${path}: ${message}`,
    body?.http_status ?? status,
    body ? errorField(body) : undefined,
  );
}

export interface H2ORequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  /** query string for GET and DELETE, form body for POST */
  params?: FormParams;
  /** a raw body (PostFile); params then go to the query string */
  body?: Readable | Buffer;
  /** ms to wait for the response headers @default 60000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface H2OTransport {
  baseUrl: string;
  /** JSON answer of a 2xx response; throws H2OError or H2OUnreachableError */
  json<T>(path: string, options?: H2ORequestOptions): Promise<T>;
  /** the raw response body of a 2xx response (MOJO download); the caller must consume it */
  stream(path: string, options?: H2ORequestOptions): Promise<Dispatcher.ResponseData['body']>;
}

export function createTransport(baseUrl: string, defaultTimeoutMs = 60_000): H2OTransport {
  async function send(path: string, options: H2ORequestOptions): Promise<Dispatcher.ResponseData> {
    const method = options.method ?? 'GET';
    const form = options.params ? encodeForm(options.params) : '';
    const inQuery = method !== 'POST' || options.body !== undefined;
    const url = `${baseUrl}${path}${inQuery && form ? `?${form}` : ''}`;
    const timeout = options.timeoutMs ?? defaultTimeoutMs;
    try {
      if (options.body !== undefined) {
        // PostFile takes raw bytes only with no Content-Type or application/octet-stream.
        return await request(url, {
          method,
          body: options.body,
          headers: { 'content-type': 'application/octet-stream' },
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: options.signal,
        });
      }
      if (method === 'POST') {
        return await request(url, {
          method,
          body: form,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: options.signal,
        });
      }
      return await request(url, { method, headersTimeout: timeout, bodyTimeout: timeout, signal: options.signal });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new H2OUnreachableError(
        `H2O at ${baseUrl} is unreachable (${method} ${path}): ${(err as Error).message}`,
        GONE.has(errorCode(err)),
      );
    }
  }

  async function failIfError(res: Dispatcher.ResponseData, method: string, path: string): Promise<void> {
    if (res.statusCode >= 200 && res.statusCode < 300) return;
    const text = await res.body.text().catch(() => '');
    // A gateway in front of H2O (or a node still starting) answers 502/503/504 without an H2O body.
    if (res.statusCode >= 502 && res.statusCode <= 504 && !text.includes('"http_status"')) {
      throw new H2OUnreachableError(`H2O at ${baseUrl} answered ${method} ${path} with HTTP ${res.statusCode}`);
    }
    throw h2oErrorFromBody(method, path, res.statusCode, text);
  }

  return {
    baseUrl,
    async json<T>(path: string, options: H2ORequestOptions = {}): Promise<T> {
      const method = options.method ?? 'GET';
      const res = await send(path, options);
      await failIfError(res, method, path);
      try {
        return (await res.body.json()) as T;
      } catch (err) {
        throw new H2OUnreachableError(
          `H2O at ${baseUrl} sent an unreadable answer to ${method} ${path}: ${(err as Error).message}`,
        );
      }
    },
    async stream(path: string, options: H2ORequestOptions = {}) {
      const res = await send(path, options);
      await failIfError(res, options.method ?? 'GET', path);
      return res.body;
    },
  };
}

/** Connection errors that mean no node is there (as opposed to a slow or paused one). */
const GONE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH']);

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return String(e.code ?? e.cause?.code ?? '');
}
