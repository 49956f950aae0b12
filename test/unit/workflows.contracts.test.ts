/**
 * Every workflow has a contract and every contract a workflow: the kernel's list of workflow types
 * (src/shared/contracts/index.ts), which callers start by name, is exactly what the worker serves
 * (src/workflows/index.ts), each a function of that name (the name a caller starts it by).
 */
import { describe, expect, it } from 'vitest';
import { WORKFLOW_TYPES } from '../../src/shared/contracts';
import * as workflows from '../../src/workflows';

const served: Record<string, unknown> = workflows;

describe('workflow contracts', () => {
  it.each(WORKFLOW_TYPES)('%s is a workflow of that name', (type) => {
    const workflow = served[type];
    expect(typeof workflow).toBe('function');
    expect((workflow as { name: string }).name).toBe(type);
  });

  it('every workflow the worker serves has a contract', () => {
    expect(Object.keys(served).filter((name) => !(WORKFLOW_TYPES as readonly string[]).includes(name))).toEqual([]);
  });

  it('names each workflow type once', () => {
    expect(new Set(WORKFLOW_TYPES).size).toBe(WORKFLOW_TYPES.length);
  });
});
