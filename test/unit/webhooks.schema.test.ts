/** models.yaml's `webhooks:` section: what it accepts, and errors that name the field and the value. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { validateModelsFile, validateWebhooksOfFile } from '../../src/shared/model-declaration';
import { stageEventType, subscribes, WEBHOOK_EVENTS } from '../../src/shared/webhooks';

const models = {
  churn: { featureSet: 'customers', target: 'churned', metric: 'auc', specs: [{ name: 'gbm', algorithm: 'gbm' }] },
};
const hook = {
  url: 'https://hooks.example.com/mlops',
  events: ['version.promoted', 'drift.detected'],
  secretEnv: 'WEBHOOK_SECRET_CHAT',
};
const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

describe('webhook subscriptions in models.yaml', () => {
  it('reads each subscription with its name; a file without webhooks has none, and its models are unchanged', () => {
    const file = {
      models,
      webhooks: {
        chat: hook,
        cd: { ...hook, events: [...WEBHOOK_EVENTS], models: ['churn'], secretEnv: 'WEBHOOK_SECRET_CD' },
      },
    };
    expect(validateWebhooksOfFile(file)).toEqual([
      { name: 'chat', ...hook },
      { name: 'cd', ...hook, events: [...WEBHOOK_EVENTS], models: ['churn'], secretEnv: 'WEBHOOK_SECRET_CD' },
    ]);
    expect(validateModelsFile(file).map((m) => m.name)).toEqual(['churn']);
    expect(validateWebhooksOfFile({ models })).toEqual([]);
  });

  it.each([
    [
      { ...hook, url: 'ftp://hooks.example.com/x' },
      'webhooks.chat.url="ftp://hooks.example.com/x" is invalid: an absolute http:// or https:// URL',
    ],
    [
      { ...hook, url: 'hooks.example.com' },
      'webhooks.chat.url="hooks.example.com" is invalid: an absolute http:// or https:// URL',
    ],
    // credentials in the URL are a secret: the error names the field, never them
    [
      { ...hook, url: 'https://bot:pw@hooks.example.com/x' },
      'webhooks.chat.url="<redacted>" is invalid: a URL without user:password@',
    ],
    [
      { ...hook, url: 'https://hooks.example.com/x#frag' },
      'webhooks.chat.url="https://hooks.example.com/x#frag" is invalid: a URL without a #fragment',
    ],
    [
      { ...hook, events: ['version.deleted'] },
      `webhooks.chat.events[0]="version.deleted" is invalid: one of 'version.registered'`,
    ],
    [{ ...hook, events: [] }, 'webhooks.chat.events=[] is invalid: at least one event type'],
    [
      { ...hook, secretEnv: 'DATABASE_URL' },
      'webhooks.chat.secretEnv="DATABASE_URL" is invalid: an environment variable named WEBHOOK_SECRET_…',
    ],
    [{ ...hook, secret: 'hunter2' }, 'webhooks.chat.secret="hunter2" is invalid: not a known field'],
    [{ ...hook, models: [] }, 'webhooks.chat.models=[] is invalid: a list of at least one model name'],
    [
      { url: hook.url, events: hook.events },
      'webhooks.chat.secretEnv=undefined is invalid: an environment variable named WEBHOOK_SECRET_',
    ],
  ])('refuses %j naming the field and the value', (subscription, expected) => {
    expect(message(() => validateWebhooksOfFile({ models, webhooks: { chat: subscription } }))).toContain(expected);
    // the whole file is one document: the models' validation refuses it too
    expect(message(() => validateModelsFile({ models, webhooks: { chat: subscription } }))).toContain(expected);
  });

  it('refuses a bad webhook name', () => {
    expect(message(() => validateWebhooksOfFile({ models, webhooks: { 'chat room': hook } }))).toContain(
      'webhooks="chat room" is invalid: a webhook name',
    );
  });

  it('filters by event type and model', () => {
    const [all, churnOnly] = validateWebhooksOfFile({
      models,
      webhooks: { all: hook, churn: { ...hook, models: ['churn'] } },
    });
    expect(subscribes(all!, 'version.promoted', 'fraud')).toBe(true);
    expect(subscribes(all!, 'version.registered', 'churn')).toBe(false);
    expect(subscribes(churnOnly!, 'drift.detected', 'churn')).toBe(true);
    expect(subscribes(churnOnly!, 'drift.detected', 'fraud')).toBe(false);
  });

  it('names stage changes as the six events do', () => {
    expect(stageEventType(null, 'staging')).toBe('version.registered');
    expect(stageEventType('staging', 'production')).toBe('version.promoted');
    expect(stageEventType('production', 'archived')).toBe('version.archived');
    expect(stageEventType('staging', 'archived')).toBe('version.archived');
    expect(stageEventType(null, 'production')).toBe('version.rolled_back');
  });
});

describe('WEBHOOK_* configuration', () => {
  it('has documented defaults, and refuses values out of range naming the variable', () => {
    expect(loadConfig({}).webhooks).toEqual({
      maxAttempts: 8,
      initialIntervalMs: 1000,
      maxIntervalMs: 300_000,
      timeoutMs: 10_000,
      sweepIntervalS: 60,
      allowDestinations: [],
      allowHttp: false,
    });
    expect(loadConfig({ WEBHOOK_ALLOW_DESTINATIONS: '10.0.0.0/8, receiver,::1' }).webhooks.allowDestinations).toEqual([
      '10.0.0.0/8',
      'receiver',
      '::1',
    ]);
    expect(message(() => loadConfig({ WEBHOOK_ALLOW_DESTINATIONS: '10.0.0.0/33' }))).toBe(
      'WEBHOOK_ALLOW_DESTINATIONS="10.0.0.0/33" is invalid: expected CIDRs, IP addresses or host names separated by commas, e.g. 10.0.0.0/8,::1,crm.internal',
    );
    expect(message(() => loadConfig({ WEBHOOK_MAX_ATTEMPTS: '0' }))).toBe(
      'WEBHOOK_MAX_ATTEMPTS="0" is invalid: expected an integer from 1 to 100',
    );
    expect(message(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '10s' }))).toBe(
      'WEBHOOK_TIMEOUT_MS="10s" is invalid: expected an integer from 100 to 600000',
    );
    expect(message(() => loadConfig({ WEBHOOK_BACKOFF_INITIAL_MS: '5000', WEBHOOK_BACKOFF_MAX_MS: '1000' }))).toBe(
      'WEBHOOK_BACKOFF_MAX_MS="1000" is invalid: expected at least WEBHOOK_BACKOFF_INITIAL_MS (5000)',
    );
  });
});
