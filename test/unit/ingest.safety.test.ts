/**
 * What keeps one record or one definition from stalling or leaking: rows PostgreSQL cannot store are
 * dead letters whose raw value is storable; event times are the same in every time zone; secret
 * variables are only the operator's; requests go only to the source's origins, never link-local.
 */
import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { loadConfig } from '../../src/config';
import { ValidationError } from '../../src/shared/errors';
import { storableJson, storableText } from '../../src/feature-store/rows';
import { isDeniedAddress } from '../../src/http/destinations';
import { checkDestination, sourceDestinationPolicy, sourceOrigins } from '../../src/ingest/destinations';
import { eventTimeMs } from '../../src/ingest/event-time';
import { mapPage } from '../../src/ingest/pages';
import { compileMapping } from '../../src/ingest/records';
import {
  checkSecretOrigins,
  checkSecretReferences,
  resolveSecrets,
  secretBinding,
  withoutParams,
} from '../../src/ingest/secrets';
import { validateSourceDefinition, type SourceDefinition } from '../../src/shared/source-definition';

const mapping: SourceDefinition['mapping'] = {
  featureSet: 'fs',
  entityIdPath: 'id',
  eventTimePath: 't',
  features: { plan: { type: 'string' } },
};
const base = (extra: Partial<SourceDefinition> = {}) =>
  validateSourceDefinition({
    name: 's',
    url: 'http://127.0.0.1:9/items',
    pagination: { style: 'cursor' },
    mapping,
    ...extra,
  });

describe('records PostgreSQL cannot store', () => {
  it('a NUL or a lone surrogate makes the record a dead letter; its raw value stays storable', () => {
    const map = compileMapping(base().mapping);
    const records = [
      { id: 'a', t: '2026-11-30T00:00:00Z', plan: 'basic' },
      { id: 'b', t: '2026-11-30T00:00:00Z', plan: 'bas\u0000ic' },
      { id: 'c\u0000', t: '2026-11-30T00:00:00Z', plan: 'basic' },
      { id: 'd', t: '2026-11-30T00:00:00Z', plan: 'x\ud800y' },
      { id: 'e', t: '2026-11-30T00:00:00Z', plan: 'a\\u0000 is text here' },
      { id: 'f', t: '2026-11-30T00:00:00Z', plan: 'emoji \ud83d\ude00 is fine' },
    ];
    const page = mapPage(records, map);
    expect(page.rows.map((r) => r.entityId)).toEqual(['a', 'e', 'f']);
    expect(page.deadLetters.map((d) => d.index)).toEqual([1, 2, 3]);
    for (const d of page.deadLetters) {
      expect(d.reason).toMatch(/NUL character .* lone UTF-16 surrogate/);
      const stored = storableJson(d.raw);
      expect(stored).not.toMatch(/(?<!\\)\\u0000/);
      // the stored value is a JSON string holding the record's JSON text
      expect(JSON.parse(JSON.parse(stored) as string)).toEqual(d.raw);
    }
    expect(storableJson({ ok: 1 })).toBe('{"ok":1}');
    expect(storableText('a\u0000b\udc00')).toBe('a\\u0000b\ufffd');
    expect(storableJson('page text with \u0000')).toBe('"page text with \\\\u0000"');
  });
});

describe('event times', () => {
  it('ISO text without an offset is UTC; an explicit zone is honoured; other text needs a zone', () => {
    expect(new Date(eventTimeMs('2026-11-30T10:00:00')).toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(new Date(eventTimeMs('2026-11-30 10:00')).toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(new Date(eventTimeMs('2026-11-30T10:00:00+01:00')).toISOString()).toBe('2026-11-30T09:00:00.000Z');
    expect(new Date(eventTimeMs('Mon, 30 Nov 2026 10:00:00 GMT')).toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(eventTimeMs('Mon, 30 Nov 2026 10:00:00')).toBeNaN();
  });

  it('epoch numbers in the declared unit, or detected', () => {
    expect(eventTimeMs(1_764_496_800, 'auto')).toBe(1_764_496_800_000);
    expect(eventTimeMs(1_764_496_800_000, 'auto')).toBe(1_764_496_800_000);
    expect(eventTimeMs(1_764_496_800, 's')).toBe(1_764_496_800_000);
    expect(eventTimeMs(5_000, 'ms')).toBe(5_000);
    const seconds = compileMapping({ ...base().mapping, eventTimeUnit: 'auto' })({
      id: 'a',
      t: 1_764_496_800,
      plan: 'x',
    });
    expect(seconds).toMatchObject({ ok: true, row: { eventTime: '2025-11-30T10:00:00.000Z' } });
  });
});

describe('secrets and destinations', () => {
  it('a secret may only name a SOURCE_SECRET_ variable or one the operator allowed', () => {
    const leaky = base({ headers: { Authorization: { env: 'DATABASE_URL' } } });
    expect(() => checkSecretReferences(leaky, [])).toThrow(ValidationError);
    expect(() => checkSecretReferences(leaky, [])).toThrow(
      /^s\.headers\.Authorization\.env="DATABASE_URL" is invalid: a variable named SOURCE_SECRET_… or listed in INGEST_SECRET_ENV_ALLOW/,
    );
    expect(() => checkSecretReferences(leaky, ['DATABASE_URL'])).not.toThrow();
    const query = base({ queryParams: { api_key: { env: 'AWS_SECRET_ACCESS_KEY' } } });
    expect(() => checkSecretReferences(query, [])).toThrow(/queryParams\.api_key\.env="AWS_SECRET_ACCESS_KEY"/);
    const ok = base({
      headers: { Authorization: { env: 'SOURCE_SECRET_T', prefix: 'Bearer ' } },
      queryParams: { api_key: { env: 'SOURCE_SECRET_K' }, format: 'json' },
    });
    const bind = () => ({ origins: new Set(['https://api.example.com']), boundBy: 'test' });
    expect(resolveSecrets(ok, [], bind, { SOURCE_SECRET_T: 'tok', SOURCE_SECRET_K: 'key' })).toEqual({
      headers: { Authorization: 'Bearer tok' },
      query: [['api_key', 'key']],
      bindings: [
        { field: 'headers.Authorization', variable: 'SOURCE_SECRET_T', ...bind() },
        { field: 'queryParams.api_key', variable: 'SOURCE_SECRET_K', ...bind() },
      ],
    });
    expect(withoutParams('https://a.example/x?page=2&api_key=key', ['api_key'])).toBe('https://a.example/x?page=2');
  });

  it('refuses other origins (naming both) and link-local addresses', () => {
    const s = base({ url: 'https://api.example.com/v1/items', allowedOrigins: ['https://cdn.example.com'] });
    const origins = sourceOrigins(s);
    const deny = sourceDestinationPolicy({ allowDestinations: [] });
    expect(() => checkDestination('https://api.example.com/v1/items?page=2', origins, deny, 'x')).not.toThrow();
    expect(() => checkDestination('https://cdn.example.com/p2', origins, deny, 'x')).not.toThrow();
    let err: unknown;
    try {
      checkDestination('https://evil.example.net/steal', origins, deny, "the next page's URL");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toMatch(
      /origin https:\/\/evil\.example\.net, not the source's origin https:\/\/api\.example\.com/,
    );
    for (const host of ['169.254.169.254', 'fe80::1', '::ffff:169.254.169.254', '127.0.0.1', '::1', '10.0.0.1'])
      expect(isDeniedAddress(host)).toBe(true);
    expect(isDeniedAddress('93.184.216.34')).toBe(false);
    const meta = base({ url: 'http://169.254.169.254/latest/meta-data' });
    expect(() => checkDestination(meta.url, sourceOrigins(meta), deny, "the source's URL")).toThrow(
      /169\.254\.169\.254 is a loopback, private, link-local or otherwise non-public address: refused for sources \(INGEST_ALLOW_DESTINATIONS lists/,
    );
    const allowed = sourceDestinationPolicy({ allowDestinations: ['169.254.0.0/16'] });
    expect(() => checkDestination(meta.url, sourceOrigins(meta), allowed, "the source's URL")).not.toThrow();
    const named = base({ url: 'http://metadata.google.internal/computeMetadata/v1' });
    expect(() => checkDestination(named.url, sourceOrigins(named), deny, "the source's URL")).toThrow(
      /metadata\.google\.internal is a cloud metadata service: refused for sources/,
    );
  });
});

describe('secret bindings and destination settings', () => {
  const onDisk = base({
    url: 'https://api.crm.example/v1/items',
    allowedOrigins: ['https://cdn.crm.example'],
    headers: { Authorization: { env: 'SOURCE_SECRET_CRM' } },
  });

  it('binds a listed secret to its listed origins, an unlisted one to its own file, anything else to nothing', () => {
    const listed = { SOURCE_SECRET_CRM: ['https://other.example'] };
    expect([...secretBinding('SOURCE_SECRET_CRM', listed, onDisk).origins]).toEqual(['https://other.example']);
    expect([...secretBinding('SOURCE_SECRET_CRM', {}, onDisk).origins]).toEqual([
      'https://api.crm.example',
      'https://cdn.crm.example',
    ]);
    expect(secretBinding('SOURCE_SECRET_OTHER', {}, onDisk).origins.size).toBe(0);
    expect(secretBinding('SOURCE_SECRET_CRM', {}, undefined).origins.size).toBe(0);
  });

  it('refuses a request that would carry a secret elsewhere, naming the field and variable, never the value', () => {
    const secrets = resolveSecrets(onDisk, [], (v) => secretBinding(v, {}, onDisk), {
      SOURCE_SECRET_CRM: 'hunter2-value',
    });
    expect(() => checkSecretOrigins('https://cdn.crm.example/p2', secrets, 'x')).not.toThrow();
    let err: unknown;
    try {
      checkSecretOrigins('https://evil.example/steal', secrets, "the next page's URL");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toMatch(
      /^the next page's URL https:\/\/evil\.example\/steal would carry the secret headers\.Authorization \(SOURCE_SECRET_CRM\) to https:\/\/evil\.example: refused/,
    );
    expect(JSON.stringify(err)).not.toContain('hunter2-value');
    expect((err as ApplicationFailure).message).not.toContain('hunter2-value');
  });

  it('reads INGEST_SECRET_ORIGINS, INGEST_ALLOW_DESTINATIONS and the older INGEST_ALLOW_LINK_LOCAL', () => {
    const cfg = loadConfig({
      INGEST_SECRET_ORIGINS: 'SOURCE_SECRET_A=https://a.example, SOURCE_SECRET_A=https://b.example:8443/',
      INGEST_ALLOW_DESTINATIONS: '10.1.0.0/16,crm.internal',
    }).ingest;
    expect(cfg.secretOrigins).toEqual({ SOURCE_SECRET_A: ['https://a.example', 'https://b.example:8443'] });
    expect(cfg.allowDestinations).toEqual(['10.1.0.0/16', 'crm.internal']);
    expect(cfg.allowInlineDefinitions).toBe(false);
    expect(loadConfig({}).ingest.allowDestinations).toEqual([]);
    expect(loadConfig({ INGEST_ALLOW_LINK_LOCAL: 'true' }).ingest.allowDestinations).toContain('169.254.0.0/16');
    expect(loadConfig({ INGEST_ALLOW_DESTINATIONS: 'crm-customers=10.1.2.3' }).ingest.allowDestinations).toEqual([
      'crm-customers=10.1.2.3',
    ]);
    expect(() => loadConfig({ INGEST_ALLOW_DESTINATIONS: 'crm=10.1.2.3/40' })).toThrow(
      /^INGEST_ALLOW_DESTINATIONS="crm=10\.1\.2\.3\/40" is invalid: expected CIDRs, IP addresses or host names/,
    );
    expect(() => loadConfig({ INGEST_SECRET_ORIGINS: 'SOURCE_SECRET_A=https://a.example/path' })).toThrow(
      /^INGEST_SECRET_ORIGINS="SOURCE_SECRET_A=https:\/\/a\.example\/path" is invalid: expected VARIABLE=origin pairs/,
    );
  });
});
