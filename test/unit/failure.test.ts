/** toFailure: the one place an error becomes a Temporal failure, retryable or not, typed by its class name. */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/shared/errors';
import {
  ConfigError,
  FailureType,
  H2OError,
  H2OUnreachableError,
  RegistryError,
  ValidationError,
} from '../../src/shared/errors';
import { failing, toFailure } from '../../src/shared/failure';

const failure = (err: unknown) => toFailure(err) as ApplicationFailure;

describe('toFailure', () => {
  it('makes input that can never succeed non-retryable, typed by the error class, with its field', () => {
    const v = failure(new ValidationError('specs[0].name', 'x y', 'a spec name'));
    expect(v).toBeInstanceOf(ApplicationFailure);
    expect([v.type, v.nonRetryable, v.message, v.details]).toEqual([
      FailureType.Validation,
      true,
      'specs[0].name="x y" is invalid: a spec name',
      [{ field: 'specs[0].name' }],
    ]);
    expect([
      failure(new ConfigError('X_TOKEN', undefined, 'set')).type,
      failure(new ConfigError('X_TOKEN', undefined, 'set')).nonRetryable,
    ]).toEqual([FailureType.Config, true]);
    expect([
      failure(new RegistryError('churn', 3, 'no such version')).type,
      failure(new RegistryError('churn', 3, 'x')).nonRetryable,
    ]).toEqual([FailureType.Registry, true]);
  });

  it('makes H2O 4xx answers final, except "in use"; the MOJO gate says what to run', () => {
    const rejected = failure(new H2OError('Unknown parameter: foo', 412, 'foo'));
    expect([rejected.type, rejected.nonRetryable, rejected.details]).toEqual([
      FailureType.H2O,
      true,
      [{ status: 412, field: 'foo' }],
    ]);
    const inUse = new H2OError('Object is already in use by job X', 400);
    expect(toFailure(inUse)).toBe(inUse);
    const gated = failure(new H2OError('H2O-3 ENTERPRISE REQUIRED', 412));
    expect([gated.type, gated.nonRetryable]).toEqual([FailureType.H2OMojoGated, true]);
    expect(gated.message).toContain('3.46.0.11');
    const server = new H2OError('boom', 500);
    expect(toFailure(server)).toBe(server);
  });

  it('types an id H2O no longer knows (a restarted cluster) as H2OLost, non-retryable: trainModels rebuilds', () => {
    for (const message of [
      'H2O GET /3/Jobs/$03$_x: Job is missing',
      "H2O POST /3/ModelBuilders/gbm: Object with key='run__train' doesn't exist in DKV.",
      "H2O GET /3/Models/m: Object 'm' not found for argument: key",
    ]) {
      const lost = failure(new H2OError(message, 400));
      expect([lost.type, lost.nonRetryable]).toEqual([FailureType.H2OLost, true]);
      expect(lost.message).toContain(message);
    }
    expect(failure(new H2OError('Unknown parameter: foo', 412, 'foo')).type).toBe(FailureType.H2O);
  });

  it('leaves retryable errors and failures as they are', () => {
    const unreachable = new H2OUnreachableError('connection refused');
    expect(toFailure(unreachable)).toBe(unreachable);
    const retryable = ApplicationFailure.retryable('429', FailureType.SourceHttp);
    expect(toFailure(retryable)).toBe(retryable);
  });

  it('failing() converts what sync work throws and what async work rejects with', async () => {
    const bad = new ValidationError('model', 'a.b', 'a model name');
    expect(() =>
      failing(() => {
        throw bad;
      }),
    ).toThrow(ApplicationFailure);
    await expect(
      failing(async () => {
        throw bad;
      }),
    ).rejects.toBeInstanceOf(ApplicationFailure);
    expect(failing(() => 7)).toBe(7);
    await expect(failing(async () => 7)).resolves.toBe(7);
  });
});

describe('FailureType and the error classes', () => {
  const classes = Object.values(errors as Record<string, unknown>).filter(
    (v): v is new () => Error => typeof v === 'function' && v.prototype instanceof Error,
  );
  // constructors only store their arguments, so any will do
  const instances = classes.map((C) => Reflect.construct(C, ['x', 'y', 'z']) as Error);

  it('names each error by its own class, and gives every class but StackError (the local stack only) a FailureType', () => {
    expect(classes.length).toBeGreaterThan(5);
    expect(instances.map((err) => err.name)).toEqual(classes.map((C) => C.name));
    const types: string[] = Object.values(FailureType);
    expect(instances.map((err) => err.name).filter((name) => name !== 'StackError' && !types.includes(name))).toEqual(
      [],
    );
  });

  it('types every failure toFailure makes from an error class by that class', () => {
    const made = [...instances, new H2OError('Unknown parameter: foo', 412)]
      .map((err) => [err.name, toFailure(err)] as const)
      .filter(([, f]) => f instanceof ApplicationFailure);
    expect(made.length).toBeGreaterThan(5);
    for (const [name, f] of made)
      expect([(f as ApplicationFailure).type, (f as ApplicationFailure).nonRetryable]).toEqual([name, true]);
  });
});
