/**
 * The one way into Temporal: every entry point (worker, CLI commands, demo, version check, the
 * container healthcheck, tests) connects through here, with the profile src/config.ts resolved through
 * @temporalio/envconfig, so TLS, mTLS, an API key and a namespace other than `default` work
 * everywhere or nowhere. A failed connection names the address, the TLS settings in use and the
 * variable to check; never the API key.
 */
import { Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { toClientOptions } from '@temporalio/envconfig';
import type { NativeConnection } from '@temporalio/worker';
import { connect as tlsConnect } from 'node:tls';
import type { TemporalConfig } from './config';

/** The options both connection kinds take: address, TLS, API key, gRPC metadata. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** A connection that could not be made; the message says what was tried and what to check. */
export class TemporalConnectionError extends Error {
  override readonly name = 'TemporalConnectionError';
}

/** How the connection is made, for logs and errors: address, namespace, TLS and its CA; no secrets. */
export function describeTemporal(t: TemporalConfig): string {
  const tls = t.profile.tls;
  const parts = [`${t.address}`, `namespace ${t.namespace}`];
  if (tls?.disabled) parts.push('plaintext');
  else if (tls || t.profile.apiKey !== undefined) {
    const ca = tls?.serverCACert;
    parts.push(
      `TLS${ca ? ` with CA ${'path' in ca ? ca.path : '(inline PEM)'}` : ' (system CAs)'}${tls?.serverName ? `, server name ${tls.serverName}` : ''}${tls?.clientCert ? ', client certificate' : ''}`,
    );
  } else parts.push('plaintext');
  if (t.profile.apiKey !== undefined) parts.push('API key');
  if (t.profileName) parts.push(`profile ${t.profileName}`);
  return parts.join(', ');
}

/** The connection options of the configured profile; reads the CA and certificate files named in it. */
export function temporalConnectionOptions(t: TemporalConfig): TemporalConnectionOptions {
  let options;
  try {
    ({ connectionOptions: options } = toClientOptions(t.profile));
  } catch (err) {
    throw new TemporalConnectionError(
      `cannot read the TLS files for Temporal at ${describeTemporal(t)}: ${(err as Error).message} (check TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH or the profile's tls section)`,
    );
  }
  return {
    address: t.address,
    ...(options.tls !== undefined && options.tls !== null ? { tls: options.tls } : {}),
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.metadata
      ? { metadata: Object.fromEntries(Object.entries(options.metadata).map(([k, v]) => [k, String(v)])) }
      : {}),
  };
}

/** Turns a transport failure into one that says where it tried and, for certificate errors, what to fix. */
function connectionError(t: TemporalConfig, err: unknown): TemporalConnectionError {
  const message = (err as Error).message ?? String(err);
  const certificate = /certificate|UnknownIssuer|self[- ]signed|CERT|tls|ssl|handshake/i.test(message);
  const hint = certificate
    ? "the server's TLS certificate was not accepted: TEMPORAL_TLS_SERVER_CA_CERT_PATH must name the CA that signed it, and TEMPORAL_TLS_SERVER_NAME the name in it"
    : "is the server running, and TEMPORAL_ADDRESS (or the profile's address) right?";
  return new TemporalConnectionError(
    `cannot connect to Temporal at ${describeTemporal(t)}: ${message.split('\n')[0]} (${hint})`,
  );
}

/**
 * grpc-js reports a refused certificate only as "Failed to connect before the deadline": after such a
 * failure, one TLS handshake with the same CA and server name finds the reason (undefined: it succeeds).
 */
function tlsHandshakeProblem(t: TemporalConfig, options: TemporalConnectionOptions): Promise<string | undefined> {
  const tls = options.tls;
  if (!tls) return Promise.resolve(undefined);
  const settings = tls === true ? {} : tls;
  return new Promise((resolve) => {
    const socket = tlsConnect(
      {
        host: t.host,
        port: t.port,
        servername: settings.serverNameOverride ?? (/^[\d.]+$|:/.test(t.host) ? undefined : t.host),
        ...(settings.serverRootCACertificate ? { ca: Buffer.from(settings.serverRootCACertificate) } : {}),
        ...(settings.clientCertPair
          ? { cert: Buffer.from(settings.clientCertPair.crt), key: Buffer.from(settings.clientCertPair.key) }
          : {}),
        ALPNProtocols: ['h2'],
        timeout: 5000,
      },
      () => {
        socket.destroy();
        resolve(undefined);
      },
    );
    socket.on('timeout', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.on('error', (err) => resolve(`TLS handshake failed: ${err.message}`));
  });
}

/** A client connection (gRPC in Node) to the configured server. */
export async function connectClientConnection(
  t: TemporalConfig,
  options: { connectTimeoutMs?: number } = {},
): Promise<Connection> {
  const connectionOptions = temporalConnectionOptions(t);
  try {
    return await Connection.connect({ ...connectionOptions, connectTimeout: options.connectTimeoutMs ?? 10_000 });
  } catch (err) {
    const problem = await tlsHandshakeProblem(t, connectionOptions);
    throw connectionError(t, problem ? new Error(problem) : err);
  }
}

/**
 * A worker's connection (the Rust core) to the configured server. @temporalio/worker is loaded only
 * here, so the CLI commands and the healthcheck do not load the native worker runtime.
 */
export async function connectNativeConnection(t: TemporalConfig): Promise<NativeConnection> {
  const connectionOptions = temporalConnectionOptions(t);
  const { NativeConnection: Native } = await import('@temporalio/worker');
  try {
    return await Native.connect(connectionOptions);
  } catch (err) {
    throw connectionError(t, err);
  }
}
