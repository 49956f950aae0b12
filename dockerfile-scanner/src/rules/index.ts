/** Every rule the scanner runs, in report order. MAINTENANCE: docs/DEPLOY.md lists them; keep it in sync. */
import type { Rule } from '../types';
import { imageRules } from './image';
import { packageRules } from './packages';
import { secretRules } from './secrets';
import { shellRules } from './shell';

export const RULES: Rule[] = [...imageRules, ...packageRules, ...shellRules, ...secretRules];
