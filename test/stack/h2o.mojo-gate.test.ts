/**
 * The MOJO gate of H2O 3.46.0.12+: GET /3/Models/{id}/mojo answers 412 "H2O-3 ENTERPRISE REQUIRED".
 * The pinned 3.46.0.11 never does, so a small real HTTP server plays a gated build here (the error
 * body is the H2OErrorV3 shape H2O sends). The download must fail as a non-retryable
 * H2OMojoGatedError, leaving no file behind.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureType, H2OError, isMojoGated } from '../../src/shared/errors';
import { H2OClient } from '../../src/h2o/client';
import { toFailure } from '../../src/shared/failure';
import { downloadMojoTo } from '../../src/h2o/mojo';

const GATE_MSG = '\n\nERROR MESSAGE:\n\nH2O-3 ENTERPRISE REQUIRED - MOJO export is blocked in H2O-3 open source.\n\n';

describe('MOJO gate', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(412, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          __meta: { schema_name: 'H2OErrorV3' },
          msg: GATE_MSG,
          dev_msg: GATE_MSG,
          http_status: 412,
          values: {},
          exception_type: 'water.exceptions.H2OIllegalArgumentException',
          exception_msg: GATE_MSG,
          error_url: req.url,
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("fails the download with H2O's message, as a non-retryable H2OMojoGatedError, writing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mojo-gate-'));
    const path = join(dir, 'm.zip');
    const err = await downloadMojoTo(new H2OClient(url), 'some_model', path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(H2OError);
    expect((err as H2OError).status).toBe(412);
    expect(isMojoGated(err)).toBe(true);
    const failure = toFailure(err) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(FailureType.H2OMojoGated);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('ENTERPRISE REQUIRED');
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
