/**
 * A TLS-secured Temporal for tests: Debian's nginx on a free loopback port terminates TLS with a
 * certificate signed by a CA that openssl makes here, and proxies gRPC (HTTP/2, grpc_pass) to the
 * plaintext dev server. Started and stopped by the test that uses it, never by the stack.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { aptInstall } from '../../src/stack/install';
import { which } from '../../src/stack/process';

export interface TlsTemporalProxy {
  /** 127.0.0.1:<port> */
  address: string;
  /** the name in the server certificate (not the address's host, so TEMPORAL_TLS_SERVER_NAME is exercised) */
  serverName: string;
  /** PEM of the CA that signed the server certificate */
  caPath: string;
  /** PEM of another CA, which did not */
  wrongCaPath: string;
  dir: string;
  /** gRPC methods nginx proxied so far (its access log) */
  proxiedMethods(): string[];
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function nginxBinary(): string {
  const found = which('nginx') ?? which('/usr/sbin/nginx');
  if (found) return found;
  if (process.getuid?.() !== 0)
    throw new Error('nginx is not installed and cannot be (need root for apt-get): apt-get install -y nginx');
  aptInstall(['nginx'], () => {});
  return which('nginx') ?? '/usr/sbin/nginx';
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Makes a CA, a server certificate it signs, and an unrelated CA, then starts nginx in front of `upstream`. */
export async function startTlsTemporalProxy(upstream: string): Promise<TlsTemporalProxy> {
  const binary = nginxBinary();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-temporal-tls-'));
  chmodSync(dir, 0o755);
  const serverName = 'temporal.mlops.test';
  const f = (name: string) => join(dir, name);
  for (const ca of ['ca', 'wrong-ca']) {
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=mlops test ${ca}`,
      '-keyout',
      f(`${ca}.key`),
      '-out',
      f(`${ca}.crt`),
    ]);
  }
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${serverName}`,
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  ]);
  writeFileSync(
    f('server.ext'),
    `subjectAltName=DNS:${serverName}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  openssl([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    f('server.ext'),
    '-out',
    f('server.crt'),
  ]);

  const port = await freePort();
  // Long polls last up to 70 s: the proxy's timeouts must be longer, or every idle poll is cut.
  writeFileSync(
    f('nginx.conf'),
    `
worker_processes 1;
pid ${f('nginx.pid')};
error_log stderr warn;
events { worker_connections 256; }
http {
  log_format grpc '$request_uri $status';
  access_log ${f('access.log')} grpc;
  client_body_temp_path ${f('body')};
  proxy_temp_path ${f('proxy')};
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${f('server.crt')};
    ssl_certificate_key ${f('server.key')};
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 64m;
    location / {
      grpc_pass grpc://${upstream};
      grpc_read_timeout 300s;
      grpc_send_timeout 300s;
    }
  }
}
`,
  );
  const nginx: ChildProcess = spawn(binary, ['-c', f('nginx.conf'), '-p', dir, '-e', 'stderr', '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  nginx.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const ca = readFileSync(f('ca.crt'));
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    up = await new Promise<boolean>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: serverName, ALPNProtocols: ['h2'] }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (!up && nginx.exitCode !== null) break;
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (nginx.exitCode === null && nginx.signalCode === null) {
      const exited = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGTERM'); // fast shutdown: long polls in flight are cut, not waited for
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  if (!up) {
    await stop();
    throw new Error(`nginx did not accept TLS connections on 127.0.0.1:${port}: ${stderr}`);
  }
  return {
    address: `127.0.0.1:${port}`,
    serverName,
    caPath: f('ca.crt'),
    wrongCaPath: f('wrong-ca.crt'),
    dir,
    proxiedMethods: () => readFileSync(f('access.log'), 'utf8').split('\n').filter(Boolean),
    stop,
  };
}
