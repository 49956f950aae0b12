/**
 * docker/nginx.conf run for real with Debian's nginx: the shipped file, with only its addresses and
 * paths substituted (loopback ports, a temp certificate, key and htpasswd), passes `nginx -t`, then
 * serves HTTPS on loopback in front of a local upstream: basic auth, HSTS, TLS 1.2+ only, headers
 * to the upstream, a WebSocket upgrade, and the plain-HTTP health endpoint and redirect.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';
import { aptInstall } from '../../src/stack/install';
import { which } from '../../src/stack/process';

const USER = 'operator';
const PASSWORD = 'correct horse battery staple';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Replaces `from` with `to`, insisting it occurs exactly once, so the rendering cannot drift silently. */
function substitute(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`docker/nginx.conf: expected "${from}" exactly once, found ${count}`);
  return text.replace(from, to);
}

interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

let dir: string;
let nginx: ChildProcess | undefined;
let upstream: Server;
let tlsPort: number;
let httpPort: number;
let cert: string;
let lastUpstreamHeaders: IncomingHttpHeaders = {};
let nginxBinary: string | undefined;
/** upgraded sockets leave the http server's books: track them to close them at the end */
const upstreamSockets = new Set<Socket>();

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: tlsPort, path, headers, ca: cert, servername: 'localhost' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

beforeAll(async () => {
  nginxBinary = which('nginx') ?? which('/usr/sbin/nginx');
  if (!nginxBinary && process.getuid?.() === 0) {
    aptInstall(['nginx-light'], () => {});
    nginxBinary = which('nginx') ?? '/usr/sbin/nginx';
  }
  if (!nginxBinary) throw new Error('nginx is not installed and cannot be (need root for apt-get): apt-get install -y nginx-light');

  // nginx's workers drop root and must read the htpasswd file: a world-readable temp folder
  dir = mkdtempSync(join(tmpdir(), 'mlops-nginx-'));
  chmodSync(dir, 0o755);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'tls.crt'), 'utf8');
  const hash = execFileSync('openssl', ['passwd', '-apr1', PASSWORD], { encoding: 'utf8' }).trim();
  writeFileSync(join(dir, 'htpasswd'), `${USER}:${hash}\n`, { mode: 0o644 });

  // the upstream: answers plain requests with what it received, and accepts WebSocket upgrades (echo)
  upstream = createServer((req, res) => {
    lastUpstreamHeaders = req.headers;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`upstream saw ${req.method} ${req.url}`);
  });
  upstream.on('upgrade', (req, socket: Socket) => {
    lastUpstreamHeaders = req.headers;
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (d) => socket.write(d));
  });
  upstream.on('connection', (socket: Socket) => {
    upstreamSockets.add(socket);
    socket.on('close', () => upstreamSockets.delete(socket));
  });
  const upstreamPort = await freePort();
  await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
  tlsPort = await freePort();
  httpPort = await freePort();

  let conf = readFileSync(join(projectRoot, 'docker', 'nginx.conf'), 'utf8');
  conf = substitute(conf, 'server temporal-ui:8080;', `server 127.0.0.1:${upstreamPort};`);
  conf = substitute(conf, 'listen 443 ssl;', `listen 127.0.0.1:${tlsPort} ssl;`);
  conf = substitute(conf, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
  conf = substitute(conf, '/run/secrets/tls_cert', join(dir, 'tls.crt'));
  conf = substitute(conf, '/run/secrets/tls_key', join(dir, 'tls.key'));
  conf = substitute(conf, '/run/secrets/htpasswd', join(dir, 'htpasswd'));
  conf = substitute(conf, 'pid /var/run/nginx.pid;', `pid ${join(dir, 'nginx.pid')};`);
  writeFileSync(join(dir, 'nginx.conf'), conf);
}, 240_000);

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx!.once('exit', r));
    nginx.kill('SIGTERM'); // fast shutdown: do not wait for idle keepalive connections
    await exited;
  }
  for (const socket of upstreamSockets) socket.destroy();
  await new Promise((r) => upstream?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('docker/nginx.conf under Debian nginx', () => {
  it('passes nginx -t', () => {
    // stdout ignored: access_log /dev/stdout cannot be opened on the socket Node would use for a pipe
    const result = spawnSync(nginxBinary!, ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir, '-e', 'stderr'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('test is successful');
  });

  it('starts on loopback', async () => {
    nginx = spawn(nginxBinary!, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    nginx.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca: cert, servername: 'localhost' }, () => { s.end(); resolve(true); });
        s.on('error', () => resolve(false));
      });
      if (up) return;
      if (nginx.exitCode !== null) throw new Error(`nginx exited with ${nginx.exitCode}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nginx did not accept TLS connections: ${stderr}`);
  });

  it('refuses requests without the right password', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/', { authorization: basic(USER, 'wrong') })).status).toBe(401);
  });

  it('proxies an authenticated HTTPS request to the upstream, with HSTS and forwarding headers', async () => {
    const reply = await get('/namespaces/default/workflows?x=1', { authorization: basic(USER, PASSWORD) });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('upstream saw GET /namespaces/default/workflows?x=1');
    expect(reply.headers['strict-transport-security']).toMatch(/max-age=\d{8,}/);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers.server).toBe('nginx'); // server_tokens off: no version
    expect(lastUpstreamHeaders['x-forwarded-proto']).toBe('https');
    expect(lastUpstreamHeaders.authorization).toBeUndefined();
  });

  it('passes a WebSocket upgrade through TLS to the upstream and back', async () => {
    const echoed = await new Promise<{ upgrade: string | undefined; data: string }>((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1', port: tlsPort, path: '/ws', ca: cert, servername: 'localhost',
        headers: { authorization: basic(USER, PASSWORD), connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('upgrade', (res, socket) => {
        socket.once('data', (d: Buffer) => { socket.destroy(); resolve({ upgrade: res.headers.upgrade, data: d.toString() }); });
        socket.write('ping through nginx');
      });
      req.on('response', (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    expect(echoed).toEqual({ upgrade: 'websocket', data: 'ping through nginx' });
    expect(lastUpstreamHeaders.upgrade).toBe('websocket');
    expect(lastUpstreamHeaders.connection?.toLowerCase()).toBe('upgrade');
  });

  it('speaks TLS 1.2 and 1.3, and refuses TLS 1.1', async () => {
    const handshake = (options: { minVersion: 'TLSv1' | 'TLSv1.2'; maxVersion: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' }) => new Promise<string>((resolve) => {
      // SECLEVEL=0 lets the client offer TLS 1.1, so a refusal is the server's
      const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca: cert, servername: 'localhost', ciphers: 'DEFAULT@SECLEVEL=0', ...options }, () => {
        const protocol = s.getProtocol() ?? 'unknown';
        s.end();
        resolve(protocol);
      });
      s.on('error', (err) => resolve(`refused: ${err.message}`));
    });
    expect(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' })).toBe('TLSv1.3');
    expect(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
    expect(await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })).toMatch(/^refused/);
  });

  it('plain HTTP: /healthz answers ok (the container healthcheck), everything else redirects to HTTPS', async () => {
    const plain = (path: string) => new Promise<Reply>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: httpPort, path, headers: { host: 'mlops.example.com' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      }).on('error', reject).end();
    });
    expect(await plain('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    const redirect = await plain('/namespaces');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('https://mlops.example.com/namespaces');
  });
});
