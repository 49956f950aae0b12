/**
 * A typed client for the H2O-3 REST API: what training needs, one method per endpoint.
 * Errors: H2OError (H2O answered with an error: message, HTTP status, parameter) or
 * H2OUnreachableError (no answer). Methods named find… return undefined for an unknown key (404).
 */
import type { Readable } from 'node:stream';
import { H2OError } from '../shared/errors';
import type { Algorithm } from '../shared/algorithms';
import type { H2OParameterValue } from '../shared/training-spec';
import { createTransport, type FormParams, type H2OTransport } from './http';
import type {
  CapabilitiesV3,
  CloudV3,
  FrameV3,
  FramesV3,
  GridV3,
  JobV3,
  JobsV3,
  ModelBuilderV3,
  ModelV3,
  ModelsV3,
  ParseSetupV3,
  ParseV3,
  PostFileV3,
  PredictionsV3,
} from './schemas';

export interface H2OClientOptions {
  /** ms to wait for an answer's headers @default 60000 */
  timeoutMs?: number;
}

/** H2O column types we declare explicitly (Parse accepts these case-insensitively). */
export type H2OColumnType = 'Numeric' | 'Enum' | 'String' | 'Time';

export interface ParseOptions {
  /** the raw key(s) PostFile returned */
  sourceFrames: string[];
  destinationFrame: string;
  /** one per column; when given, H2O's guesses are overridden */
  columnTypes?: H2OColumnType[];
  /** drop the raw upload once parsed @default true */
  deleteOnDone?: boolean;
}

export interface GridSearchCriteria {
  strategy: 'Cartesian' | 'RandomDiscrete';
  max_models?: number;
  max_runtime_secs?: number;
  seed?: number;
  stopping_rounds?: number;
  stopping_metric?: string;
  stopping_tolerance?: number;
}

function isNotFound(err: unknown): boolean {
  return err instanceof H2OError && err.status === 404;
}

const p = encodeURIComponent;

const MODEL_EXCLUDED_FIELDS = [
  'scoring_history',
  'cv_scoring_history',
  'model_summary',
  'training_metrics',
  'variable_importances',
  'validation_metrics/thresholds_and_metric_scores',
  'validation_metrics/gains_lift_table',
  'validation_metrics/max_criteria_and_metric_scores',
]
  .map((f) => `models/output/${f}`)
  .join(',');

export class H2OClient {
  readonly http: H2OTransport;

  constructor(
    readonly baseUrl: string,
    options: H2OClientOptions = {},
  ) {
    this.http = createTransport(baseUrl.replace(/\/$/, ''), options.timeoutMs);
  }

  // --- cluster -------------------------------------------------------------------------------

  cloud(): Promise<CloudV3> {
    return this.http.json<CloudV3>('/3/Cloud', { params: { skip_ticks: true } });
  }

  /** Names from GET /3/Capabilities/Core, e.g. "XGBoost" when its native library loaded. */
  async capabilities(): Promise<string[]> {
    const res = await this.http.json<CapabilitiesV3>('/3/Capabilities/Core');
    return res.capabilities.map((c) => c.name);
  }

  async hasXGBoost(): Promise<boolean> {
    return (await this.capabilities()).includes('XGBoost');
  }

  // --- upload and parse ----------------------------------------------------------------------

  /** Uploads raw bytes (a CSV stream) as an unparsed key. */
  postFile(destinationFrame: string, body: Readable | Buffer, timeoutMs = 600_000): Promise<PostFileV3> {
    return this.http.json<PostFileV3>('/3/PostFile', {
      method: 'POST',
      params: { destination_frame: destinationFrame },
      body,
      timeoutMs,
    });
  }

  parseSetup(sourceFrames: string[], params: FormParams = {}): Promise<ParseSetupV3> {
    return this.http.json<ParseSetupV3>('/3/ParseSetup', {
      method: 'POST',
      params: { source_frames: sourceFrames, ...params },
    });
  }

  /** ParseSetup, then Parse with the setup's guesses and our explicit column types. Returns the parse job. */
  async parse(options: ParseOptions): Promise<JobV3> {
    const setup = await this.parseSetup(options.sourceFrames, {
      check_header: 1,
      ...(options.columnTypes ? { column_types: options.columnTypes } : {}),
    });
    const columnTypes = options.columnTypes ?? setup.column_types;
    if (columnTypes.length !== setup.number_columns) {
      throw new H2OError(
        `H2O ParseSetup found ${setup.number_columns} columns in ${options.sourceFrames.join(',')} but ${columnTypes.length} column types were given`,
        412,
        'column_types',
      );
    }
    const res = await this.http.json<ParseV3>('/3/Parse', {
      method: 'POST',
      params: {
        source_frames: options.sourceFrames,
        destination_frame: options.destinationFrame,
        parse_type: setup.parse_type,
        separator: setup.separator,
        single_quotes: setup.single_quotes,
        check_header: setup.check_header,
        number_columns: setup.number_columns,
        column_names: setup.column_names ?? undefined,
        column_types: columnTypes,
        chunk_size: setup.chunk_size,
        delete_on_done: options.deleteOnDone ?? true,
        blocking: false,
      },
    });
    return res.job;
  }

  // --- jobs ------------------------------------------------------------------------------------

  async job(jobKey: string): Promise<JobV3> {
    const res = await this.http.json<JobsV3>(`/3/Jobs/${p(jobKey)}`);
    const job = res.jobs[0];
    if (!job) throw new H2OError(`H2O GET /3/Jobs/${jobKey}: no job in the answer`, 404, 'job_id');
    return job;
  }

  /** Every job the cluster remembers (running and finished). */
  async jobs(): Promise<JobV3[]> {
    return (await this.http.json<JobsV3>('/3/Jobs')).jobs;
  }

  async cancelJob(jobKey: string): Promise<void> {
    await this.http.json<unknown>(`/3/Jobs/${p(jobKey)}/cancel`, { method: 'POST' });
  }

  // --- training --------------------------------------------------------------------------------

  /** POST /3/ModelBuilders/{algo}: starts training; `job.dest.name` is the model id. 412 = rejected parameters. */
  async buildModel(algorithm: Algorithm, params: Record<string, H2OParameterValue>): Promise<JobV3> {
    return (await this.http.json<ModelBuilderV3>(`/3/ModelBuilders/${p(algorithm)}`, { method: 'POST', params })).job;
  }

  /** POST /99/Grid/{algo}: a grid search; `job.dest.name` is the grid id. */
  async startGrid(
    algorithm: Algorithm,
    gridId: string,
    params: Record<string, H2OParameterValue>,
    hyperParameters: Record<string, Array<string | number | boolean>>,
    searchCriteria: GridSearchCriteria = { strategy: 'Cartesian' },
  ): Promise<JobV3> {
    const res = await this.http.json<ModelBuilderV3>(`/99/Grid/${p(algorithm)}`, {
      method: 'POST',
      params: {
        ...params,
        grid_id: gridId,
        hyper_parameters: JSON.stringify(hyperParameters),
        search_criteria: JSON.stringify(searchCriteria),
      },
    });
    return res.job;
  }

  grid(gridId: string): Promise<GridV3> {
    return this.http.json<GridV3>(`/99/Grids/${p(gridId)}`);
  }

  async findGrid(gridId: string): Promise<GridV3 | undefined> {
    return this.grid(gridId).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
  }

  // --- models ----------------------------------------------------------------------------------

  async model(modelId: string): Promise<ModelV3> {
    // Scoring history, threshold tables and gains/lift make a model's JSON ~300 KB; none is used here.
    // (models/parameters cannot be excluded: H2O 3.46 then fails to build the schema.)
    const res = await this.http.json<ModelsV3>(`/3/Models/${p(modelId)}`, {
      params: { _exclude_fields: MODEL_EXCLUDED_FIELDS },
    });
    const model = res.models[0];
    if (!model) throw new H2OError(`H2O GET /3/Models/${modelId}: no model in the answer`, 404, 'model_id');
    return model;
  }

  async findModel(modelId: string): Promise<ModelV3 | undefined> {
    return this.model(modelId).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
  }

  /** Ids of every model in the cluster. */
  async modelIds(): Promise<string[]> {
    // The list view is already light (ids, algo, response); H2O rejects excluding fields of it.
    const res = await this.http.json<ModelsV3>('/3/Models');
    return res.models.map((m) => m.model_id.name);
  }

  /** Evaluates a Rapids expression (POST /99/Rapids), e.g. `(assign k (rows f [0:8]))`. */
  async rapids(ast: string): Promise<void> {
    await this.http.json<unknown>('/99/Rapids', { method: 'POST', params: { ast } });
  }

  /** Scores a frame in the cluster (sync); the predictions frame must be deleted by the caller. */
  predict(modelId: string, frameId: string, predictionsFrame?: string): Promise<PredictionsV3> {
    return this.http.json<PredictionsV3>(`/3/Predictions/models/${p(modelId)}/frames/${p(frameId)}`, {
      method: 'POST',
      params: { predictions_frame: predictionsFrame },
    });
  }

  /** The MOJO zip as a stream (GET /3/Models/{id}/mojo). 412 "ENTERPRISE REQUIRED" on gated builds (isMojoGated). */
  downloadMojo(modelId: string): Promise<Readable> {
    return this.http.stream(`/3/Models/${p(modelId)}/mojo`, { timeoutMs: 300_000 });
  }

  // --- frames ----------------------------------------------------------------------------------

  async frame(frameId: string): Promise<FrameV3> {
    const res = await this.http.json<FramesV3>(`/3/Frames/${p(frameId)}`, { params: { row_count: 0 } });
    const frame = res.frames[0];
    if (!frame) throw new H2OError(`H2O GET /3/Frames/${frameId}: no frame in the answer`, 404, 'frame_id');
    return frame;
  }

  async findFrame(frameId: string): Promise<FrameV3 | undefined> {
    return this.frame(frameId).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
  }

  /** A frame as CSV (GET /3/DownloadDataset), exact doubles; the caller consumes the stream. */
  downloadFrame(frameId: string): Promise<Readable> {
    return this.http.stream('/3/DownloadDataset', { params: { frame_id: frameId }, timeoutMs: 300_000 });
  }

  /** Ids of every frame in the cluster (parsed frames and raw uploads). */
  async frameIds(): Promise<string[]> {
    const res = await this.http.json<FramesV3>('/3/Frames');
    return res.frames.map((f) => f.frame_id.name);
  }

  // --- cleanup: each returns false when the key did not exist ----------------------------------

  async deleteFrame(frameId: string): Promise<boolean> {
    return this.deleteIgnoringMissing(`/3/Frames/${p(frameId)}`);
  }

  async deleteModel(modelId: string): Promise<boolean> {
    return this.deleteIgnoringMissing(`/3/Models/${p(modelId)}`);
  }

  /** DELETE /3/DKV/{key}: any key (a raw upload, a grid). */
  async deleteKey(key: string, cascade = false): Promise<boolean> {
    return this.deleteIgnoringMissing(`/3/DKV/${p(key)}${cascade ? '?cascade=true' : ''}`);
  }

  private async deleteIgnoringMissing(path: string): Promise<boolean> {
    try {
      await this.http.json<unknown>(path, { method: 'DELETE' });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
