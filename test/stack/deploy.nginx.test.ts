/**
 * docker/nginx.conf run for real with Debian's nginx: the shipped file, with only its addresses and
 * paths substituted (loopback ports, a temp certificate, key and htpasswd), passes `nginx -t`, then
 * serves HTTPS on loopback in front of a local upstream: basic auth, HSTS, TLS 1.2+ only, headers
 * to the upstream, a WebSocket upgrade, and the plain-HTTP health endpoint and redirect.
 *
 * /api/: two replicas of the real inference service (PostgreSQL and Redis of the stack) on one port of
 * 127.0.0.1 and 127.0.0.2, and a DNS server in the test standing in for Docker's (127.0.0.11, which
 * exists only inside a container) that answers `api` with both addresses, as Docker does for a
 * scaled service: requests reach the service with the prefix stripped, spread over both replicas,
 * and keep succeeding when one replica is gone. /ui/: the same replicas' model pages, path unchanged,
 * behind the same password, their links followed through nginx.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';
import { aptInstall } from '../../src/stack/install';
import { which } from '../../src/stack/process';
import { testPool } from '../helpers/postgres';
import { startService, type TestService } from '../helpers/serve';
import { removeSeededModel, seedModel } from '../helpers/ui-seed';

const USER = 'operator';
const PUBLIC_HOST = 'mlops.example.com';
const PASSWORD = 'correct horse battery staple';

function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer().listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * A DNS server on loopback answering A queries for `name` with `addresses` (RFC 1035 wire format:
 * the query's header and question echoed, one answer record per address, the name as a pointer to
 * the question). Counts the queries it answered.
 */
async function dnsServer(
  name: string,
  addresses: string[],
): Promise<{ socket: UdpSocket; port: number; queries: () => number }> {
  const socket = createSocket('udp4');
  let queries = 0;
  socket.on('message', (msg, peer) => {
    let offset = 12;
    const labels: string[] = [];
    while (msg[offset]! > 0) {
      labels.push(msg.subarray(offset + 1, offset + 1 + msg[offset]!).toString());
      offset += msg[offset]! + 1;
    }
    const question = msg.subarray(12, offset + 5); // the name, its terminating 0, QTYPE, QCLASS
    const qtype = msg.readUInt16BE(offset + 1);
    const answers = labels.join('.') === name && qtype === 1 ? addresses : [];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // the query's id
    header.writeUInt16BE(0x8180 | (labels.join('.') === name ? 0 : 3), 2); // response, recursion available; NXDOMAIN for other names
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records = answers.map((a) => {
      const r = Buffer.alloc(16);
      r.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      r.writeUInt16BE(1, 2); // A
      r.writeUInt16BE(1, 4); // IN
      r.writeUInt32BE(1, 6); // TTL
      r.writeUInt16BE(4, 10);
      a.split('.').forEach((octet, i) => r.writeUInt8(Number(octet), 12 + i));
      return r;
    });
    queries++;
    socket.send(Buffer.concat([header, question, ...records]), peer.port, peer.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port, queries: () => queries };
}

/** Replaces `from` with `to`, insisting it occurs exactly once, so the rendering cannot drift silently. */
function substitute(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`docker/nginx.conf: expected "${from}" exactly once, found ${count}`);
  return text.replace(from, to);
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Requests the route `route` (e.g. `/healthz`) has counted on a replica, by its own metrics. */
async function served(svc: TestService, route: string): Promise<number> {
  const { values } = await svc.metrics.requests.get();
  return values.filter((v) => v.labels.route === route).reduce((sum, v) => sum + v.value, 0);
}

let dir: string;
let nginx: ChildProcess | undefined;
let upstream: Server;
let tlsPort: number;
let httpPort: number;
let cert: string;
let lastUpstreamHeaders: IncomingHttpHeaders = {};
let nginxBinary: string | undefined;
let dns: Awaited<ReturnType<typeof dnsServer>>;
let replicas: TestService[] = [];
const closed = new Set<TestService>();
/** upgraded sockets leave the http server's books: track them to close them at the end */
const upstreamSockets = new Set<Socket>();

function get(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: tlsPort, path, method, headers, ca: cert, servername: 'localhost' },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

beforeAll(async () => {
  nginxBinary = which('nginx') ?? which('/usr/sbin/nginx');
  if (!nginxBinary && process.getuid?.() === 0) {
    aptInstall(['nginx-light'], () => {});
    nginxBinary = which('nginx') ?? '/usr/sbin/nginx';
  }
  if (!nginxBinary)
    throw new Error('nginx is not installed and cannot be (need root for apt-get): apt-get install -y nginx-light');

  // nginx's workers drop root and must read the htpasswd file: a world-readable temp folder
  dir = mkdtempSync(join(tmpdir(), 'mlops-nginx-'));
  chmodSync(dir, 0o755);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(dir, 'tls.key'),
      '-out',
      join(dir, 'tls.crt'),
    ],
    { stdio: 'ignore' },
  );
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

  // three replicas of the inference service on one port, as three containers of `api` would be; the
  // third sheds every request (503 + Retry-After: its memory limit is 1 MB). The event-loop-delay
  // check is off: it can answer 503 for a second on an idle service (under-pressure reads an empty
  // histogram as an infinite delay), which would make the counts below depend on timing.
  const apiPort = await freePort();
  const serve = { maxEventLoopDelayMs: 0 };
  replicas = [
    await startService({ host: '127.0.0.1', port: apiPort, serve }),
    await startService({ host: '127.0.0.2', port: apiPort, serve }),
    await startService({ host: '127.0.0.3', port: apiPort, serve: { ...serve, maxRssMb: 1 } }),
  ];
  dns = await dnsServer('api', ['127.0.0.1', '127.0.0.2', '127.0.0.3']);

  let conf = readFileSync(join(projectRoot, 'docker', 'nginx.conf'), 'utf8');
  conf = substitute(conf, 'server temporal-ui:8080;', `server 127.0.0.1:${upstreamPort};`);
  conf = substitute(conf, 'listen 443 ssl;', `listen 127.0.0.1:${tlsPort} ssl;`);
  conf = substitute(conf, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
  conf = substitute(conf, '/run/secrets/tls_cert', join(dir, 'tls.crt'));
  conf = substitute(conf, '/run/secrets/tls_key', join(dir, 'tls.key'));
  conf = substitute(conf, '/run/secrets/htpasswd', join(dir, 'htpasswd'));
  conf = substitute(conf, 'pid /var/run/nginx.pid;', `pid ${join(dir, 'nginx.pid')};`);
  conf = substitute(conf, 'resolver 127.0.0.11 ', `resolver 127.0.0.1:${dns.port} `);
  conf = substitute(conf, 'set $api_upstream api:8080;', `set $api_upstream api:${apiPort};`);
  // what the nginx image's entrypoint does with the template (docker-compose.yml: MLOPS_PUBLIC_HOST)
  conf = substitute(conf, 'server_name ${MLOPS_PUBLIC_HOST};', `server_name ${PUBLIC_HOST};`);
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
  for (const svc of replicas) if (!closed.has(svc)) await svc.close();
  dns?.socket.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('docker/nginx.conf under Debian nginx', () => {
  it('passes nginx -t', () => {
    // stdout ignored: access_log /dev/stdout cannot be opened on the socket Node would use for a pipe
    const result = spawnSync(nginxBinary!, ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir, '-e', 'stderr'], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('test is successful');
  });

  it('starts on loopback', async () => {
    nginx = spawn(nginxBinary!, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', 'stderr', '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    nginx.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca: cert, servername: 'localhost' }, () => {
          s.end();
          resolve(true);
        });
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
        host: '127.0.0.1',
        port: tlsPort,
        path: '/ws',
        ca: cert,
        servername: 'localhost',
        headers: {
          authorization: basic(USER, PASSWORD),
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.once('data', (d: Buffer) => {
          socket.destroy();
          resolve({ upgrade: res.headers.upgrade, data: d.toString() });
        });
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
    const handshake = (options: { minVersion: 'TLSv1' | 'TLSv1.2'; maxVersion: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' }) =>
      new Promise<string>((resolve) => {
        // SECLEVEL=0 lets the client offer TLS 1.1, so a refusal is the server's
        const s = tlsConnect(
          {
            host: '127.0.0.1',
            port: tlsPort,
            ca: cert,
            servername: 'localhost',
            ciphers: 'DEFAULT@SECLEVEL=0',
            ...options,
          },
          () => {
            const protocol = s.getProtocol() ?? 'unknown';
            s.end();
            resolve(protocol);
          },
        );
        s.on('error', (err) => resolve(`refused: ${err.message}`));
      });
    expect(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' })).toBe('TLSv1.3');
    expect(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
    expect(await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })).toMatch(/^refused/);
  });

  it('plain HTTP: /healthz answers ok (the container healthcheck), everything else redirects to HTTPS at the fixed host', async () => {
    const plain = (path: string, host = PUBLIC_HOST) =>
      new Promise<Reply>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port: httpPort, path, headers: { host } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        })
          .on('error', reject)
          .end();
      });
    expect(await plain('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    const redirect = await plain('/namespaces');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('https://mlops.example.com/namespaces');
    // the client's Host does not choose where the redirect points
    const forged = await plain('/namespaces', 'evil.example.net');
    expect(forged.status).toBe(301);
    expect(forged.headers.location).toBe('https://mlops.example.com/namespaces');
  });
});

describe('/api/: the inference service behind the same TLS and password', () => {
  const auth = { authorization: basic(USER, PASSWORD) };

  it('asks for the password like the UI does', async () => {
    expect((await get('/api/healthz')).status).toBe(401);
    expect((await get('/api/healthz', { authorization: basic(USER, 'wrong') })).status).toBe(401);
  });

  it('reaches the real service with the /api prefix stripped, POST bodies and error bodies included', async () => {
    const alive = await get('/api/healthz', auth);
    expect(alive.status).toBe(200);
    expect(JSON.parse(alive.body)).toEqual({ status: 'alive' });
    expect(alive.headers['strict-transport-security']).toMatch(/max-age=\d{8,}/);

    const json = { ...auth, 'content-type': 'application/json' };
    const unknown = await get(
      '/api/v1/models/no_such_model_nginx/predict',
      json,
      'POST',
      JSON.stringify({ rows: [{ x: 1 }] }),
    );
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ field: 'model', value: 'no_such_model_nginx' });
    const malformed = await get('/api/v1/models/no_such_model_nginx/predict', json, 'POST', '{"rows": [');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body)).toHaveProperty('field');
    // the prefix is what nginx removes, nothing else: the service has no /api route of its own
    expect(JSON.parse((await get('/api/api/healthz', auth)).body)).toMatchObject({
      field: 'url',
      value: '/api/healthz',
    });
  });

  it('does not serve the metrics at the edge', async () => {
    const before = await Promise.all(replicas.map((r) => served(r, '/metrics')));
    expect((await get('/api/metrics', auth)).status).toBe(404);
    expect(await Promise.all(replicas.map((r) => served(r, '/metrics')))).toEqual(before);
  });

  it("spreads requests over every address DNS gives for `api`, and hands a shedding replica's requests to another", async () => {
    const [a, b, shedding] = replicas as [TestService, TestService, TestService];
    // under-pressure samples memory once a second: wait until the third replica sheds (/readyz is shed;
    // /healthz never is, an overloaded service is alive)
    for (let i = 0; (await fetch(`${shedding.url}/readyz`)).status !== 503; i++) {
      if (i > 100) throw new Error('the 1 MB replica never answered 503');
      await new Promise((r) => setTimeout(r, 50));
    }
    const ok = async (r: TestService) =>
      (await r.metrics.requests.get()).values
        .filter((v) => v.labels.route === '/readyz' && v.labels.status === '200')
        .reduce((n, v) => n + v.value, 0);
    const before = await Promise.all([ok(a), ok(b), served(shedding, '/readyz')]);
    const N = 60;
    const statuses: number[] = [];
    for (let i = 0; i < N; i++) statuses.push((await get('/api/readyz', auth)).status);
    expect(statuses).toEqual(Array(N).fill(200));
    const [fromA, fromB, shed] = (await Promise.all([ok(a), ok(b), served(shedding, '/readyz')])).map(
      (n, i) => n - before[i]!,
    );
    expect(fromA! + fromB!, `${fromA} + ${fromB}`).toBe(N);
    expect(fromA, 'replica 127.0.0.1').toBeGreaterThan(0);
    expect(fromB, 'replica 127.0.0.2').toBeGreaterThan(0);
    expect(shed, 'requests the shedding replica refused and nginx passed on').toBeGreaterThan(0);
    expect(dns.queries()).toBeGreaterThan(0);
  });

  it('keeps answering when a replica is gone (removed by --scale, or restarting)', async () => {
    // its address still resolves, connections to it are refused, and nginx tries another replica
    const [a, b] = replicas as [TestService, TestService];
    await b.close();
    closed.add(b);
    const before = await served(a, '/readyz');
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await get('/api/readyz', auth)).status);
    expect(statuses).toEqual(Array(30).fill(200));
    expect((await served(a, '/readyz')) - before).toBe(30);
  });
});

describe('/ui/: the model pages behind the same TLS and password', () => {
  const auth = { authorization: basic(USER, PASSWORD) };
  // a model of its own, so the overview links one even on a fresh registry
  const pool = testPool();
  const seeded = `nginx_ui_${process.pid}`;
  beforeAll(() => seedModel(pool, seeded, 2, 2));
  afterAll(async () => {
    await removeSeededModel(pool, seeded);
    await pool.end();
  });

  it('asks for the password like the Web UI does', async () => {
    expect((await get('/ui/')).status).toBe(401);
    expect((await get('/ui/models/churn', { authorization: basic(USER, 'wrong') })).status).toBe(401);
  });

  it("serves the real service's pages with the path unchanged, and the links on them work through nginx", async () => {
    const overview = await get('/ui/', auth);
    expect(overview.status).toBe(200);
    expect(overview.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(overview.headers['strict-transport-security']).toMatch(/max-age=\d{8,}/);
    expect(overview.headers['content-security-policy']).toContain("default-src 'none'");
    expect(overview.body).toContain('<h1>Models</h1>');
    const link = /<a class="model-link" href="(\/ui\/models\/[^"]+)"/.exec(overview.body)?.[1];
    expect(link, 'a model of the registry linked from the overview').toBeDefined();
    const model = await get(link!, auth);
    expect(model.status).toBe(200);
    expect(model.body).toContain('<h2>Versions</h2>');

    const missing = await get('/ui/models/no_such_model_nginx', auth);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('data-value="no_such_model_nginx"');
    const bare = await get('/ui', { ...auth, host: 'evil.example.net' });
    expect(bare.status).toBe(301);
    // relative (absolute_redirect off): never built from the client's Host
    expect(bare.headers.location).toBe('/ui/');
  });
});

// Last in the file: it spends this address's budget.
describe('rate limit of the password-protected locations', () => {
  it('answers 429 once a client sends more than the rate and burst allow, wrong passwords included', async () => {
    // 150 at once: more than the UI zone's burst (60) plus what 30 r/s refills while they arrive
    const statuses = await Promise.all(
      Array.from({ length: 150 }, () => get('/', { authorization: basic(USER, 'guess') }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  });
});
