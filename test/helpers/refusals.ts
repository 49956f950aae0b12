/** What a refusal test needs: the MojoError a load throws, and the reason a promise rejects with. */
import { expect } from 'vitest';
import { loadMojo } from '../../src/mojo/load';
import { MojoError } from '../../src/shared/errors';

/** The MojoError loading `bytes` throws; fails the test when it loads, or throws anything else. */
export function loadRefusal(bytes: Buffer, name: string): MojoError {
  try {
    loadMojo(bytes, name);
  } catch (err) {
    expect(err).toBeInstanceOf(MojoError);
    return err as MojoError;
  }
  throw new Error('the MOJO was loaded');
}

/** What `p` rejects with; fails the test when it resolves. */
export function rejection<E = unknown>(p: Promise<unknown>): Promise<E> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as E,
  );
}
