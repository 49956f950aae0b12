/**
 * pollJob with the cloud watch (src/h2o/cloud.ts cloudLossWatch) against a real HTTP server standing in
 * for H2O's /3/Jobs and /3/Cloud (a third-party API; test/stack/h2o.cloud.test.ts kills a real node):
 * a running job on a cloud that lost a node, and a job H2O fails for a lost node, both end as
 * H2OCloudLostError naming the node; a job that fails on a whole cloud stays H2OJobFailedError.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H2OClient } from '../../src/h2o/client';
import { cloudLossWatch } from '../../src/h2o/cloud';
import { H2OJobFailedError, pollJob } from '../../src/h2o/jobs';
import { H2OCloudLostError } from '../../src/shared/errors';

const A = '127.0.0.1:54341';
const B = '127.0.0.1:54343';
let jobStatus: 'RUNNING' | 'FAILED' = 'RUNNING';
let bHealthy = true;
let cloudUp = true;
let server: Server;
let url: string;

function cloudBody() {
  return {
    version: '3.46.0.11',
    cloud_name: 'mlops-test',
    cloud_size: 2,
    cloud_healthy: bHealthy,
    bad_nodes: bHealthy ? 0 : 1,
    consensus: true,
    locked: true,
    nodes: [A, B].map((ip_port) => ({
      ip_port,
      healthy: ip_port === A || bHealthy,
      num_cpus: 2,
      nthreads: 1,
      max_mem: 1,
      free_mem: 1,
    })),
  };
}

function jobBody() {
  return {
    jobs: [
      {
        key: { name: 'job_1' },
        description: 'GBM',
        status: jobStatus,
        progress: 0.1,
        progress_msg: '',
        start_time: 1,
        msec: 10,
        dest: { name: 'm1' },
        warnings: null,
        exception:
          jobStatus === 'FAILED'
            ? `water.DException$DistributedException: from /${B}; by class hex.tree.gbm.GBM$GBMDriver; class java.lang.RuntimeException: node ${B} is gone`
            : null,
      },
    ],
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/3/Cloud')) {
      if (!cloudUp) {
        req.socket.destroy(); // a node that does not answer
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(cloudBody()));
    } else if (req.url?.startsWith('/3/Jobs/')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jobBody()));
    } else {
      res.writeHead(404).end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const settings = { nodes: 2, members: [A, B] };

function poll(onPoll?: () => void) {
  const client = new H2OClient(url, { timeoutMs: 2000 });
  return pollJob(client, 'job_1', {
    intervalMs: 10,
    watchIntervalMs: 30,
    watchCloud: cloudLossWatch(client, settings),
    onPoll,
  });
}

describe('pollJob watching the cloud', () => {
  it('a running job whose cloud lost a node ends as H2OCloudLostError naming the node, not a hang', async () => {
    jobStatus = 'RUNNING';
    bHealthy = true;
    cloudUp = true;
    let polls = 0;
    const err = await poll(() => {
      if (++polls === 5) bHealthy = false; // H2O marks B unhealthy while the job still "runs"
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(H2OCloudLostError);
    expect((err as H2OCloudLostError).nodes).toEqual([B]);
    expect((err as Error).message).toContain(`lost node ${B}`);
    expect(polls).toBeGreaterThanOrEqual(5);
  });

  it('a job H2O fails for a lost node is reported as the cloud loss', async () => {
    jobStatus = 'FAILED';
    bHealthy = false;
    cloudUp = true;
    const err = await poll().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(H2OCloudLostError);
    expect((err as Error).message).toContain(B);
  });

  it("a job that fails on a whole cloud stays the job failure, with H2O's reason", async () => {
    jobStatus = 'FAILED';
    bHealthy = true;
    cloudUp = true;
    const err = await poll().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(H2OJobFailedError);
    expect((err as Error).message).toContain('is gone');
  });

  it('an unanswered /3/Cloud is not a loss: the watch leaves it to the poll', async () => {
    jobStatus = 'RUNNING';
    bHealthy = true;
    cloudUp = false;
    let polls = 0;
    const err = await poll(() => {
      if (++polls === 10) jobStatus = 'FAILED';
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(H2OJobFailedError);
    expect(polls).toBeGreaterThanOrEqual(10);
  });
});
