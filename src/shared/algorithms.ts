/** The H2O-3 algorithms a model spec may name (`/3/ModelBuilders/<algorithm>`). */
import { oneOf } from './validation';

export const ALGORITHMS = ['gbm', 'drf', 'glm', 'xgboost'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const algorithm = oneOf(ALGORITHMS);
