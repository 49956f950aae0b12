/** The model registry: one SQL operation per file, each handed a pg client (graphile's src/sql/). */
export * from './types';
export { registerVersion } from './register-version';
export { promoteVersion } from './promote-version';
export { rollbackVersion } from './rollback-version';
export { listVersions } from './list-versions';
export { getVersion, productionVersions } from './serving-versions';
export { PRODUCTION_CHANNEL } from './queries';
export { getProductionVersion } from './get-production-version';
export { archiveVersion, type ArchiveVersionInput } from './archive-version';
export { writeDriftReport, reportRetrain, recordReportRetrain, type WriteDriftReportInput } from './drift-reports';
export { championModelIds } from './champion-model-ids';
export { stagingVersions, type StagingVersion } from './staging-versions';
export { getModel, type RegistryModel } from './get-model';
export { listModelOverviews, type ModelOverview } from './list-model-overviews';
export { listStageEvents, type StageEvent } from './list-stage-events';
export { listDriftReports, type DriftReportSummary } from './list-drift-reports';
export { getDriftReport, type DriftReport } from './get-drift-report';
