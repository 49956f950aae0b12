/** Every rule the scanner runs, in report order. MAINTENANCE: docs/DEPLOY.md's rule table lists them (a test checks it). */
import type { Rule } from '../types';
import { imageRules } from './image';
import { packageRules } from './packages';
import { secretRules } from './secrets';
import { shellRules } from './shell';
import { shellcheck } from './shellcheck';

export const RULES: Rule[] = [...imageRules, ...packageRules, ...shellRules, ...secretRules, shellcheck];
