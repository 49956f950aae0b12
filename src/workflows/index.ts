/** Every workflow the worker serves (workflowsPath points here). One workflow per file. */
export { stackHealth } from './stack-health';
export { trainModels } from './train-models';
export { driftSensor } from './drift-sensor';
export { retrainModel } from './retrain-model';
export { ingestSource } from './ingest-source';
export { deliverWebhook } from './deliver-webhook';
export { sweepWebhooks } from './sweep-webhooks';
