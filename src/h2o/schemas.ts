/**
 * The H2O-3 REST schemas we read, trimmed to the fields we use. H2O adds fields between releases;
 * unknown fields are ignored. NaN and ±Infinity arrive as the strings "NaN", "Infinity", "-Infinity".
 */

/** `{name, type, URL}`: how H2O refers to any key (frame, model, job, grid). */
export interface KeyV3 {
  name: string;
  type?: string;
  URL?: string;
}

/** A number as H2O's JSON writes it. */
export type H2ONumber = number | 'NaN' | 'Infinity' | '-Infinity';

export type JobStatus = 'RUNNING' | 'CANCEL_PENDING' | 'CANCELLED' | 'DONE' | 'FAILED';

export interface JobV3 {
  key: KeyV3;
  description: string;
  /** key off status only: RUNNING at progress 1.0 and DONE at 0 both happen */
  status: JobStatus;
  /** 0..1 */
  progress: number;
  progress_msg: string;
  start_time: number;
  /** run time so far, ms */
  msec: number;
  dest: KeyV3 | null;
  warnings: string[] | null;
  /** set when FAILED: the Java exception's toString() */
  exception: string | null;
  stacktrace?: string | null;
}

export interface JobsV3 {
  jobs: JobV3[];
}

export interface CloudV3 {
  version: string;
  branch_name: string;
  build_number: string;
  build_too_old: boolean;
  cloud_name: string;
  cloud_size: number;
  /** false as soon as one node missed its heartbeats (about a minute after it died) */
  cloud_healthy: boolean;
  /** nodes marked unhealthy */
  bad_nodes?: number;
  /** every node agrees on the membership */
  consensus: boolean;
  /** no node can join any more: set by the first key written (a frame, a job) */
  locked?: boolean;
  nodes: CloudNodeV3[];
}

export interface CloudNodeV3 {
  /** the node's REST address as the cloud knows it, e.g. "127.0.0.1:54321" */
  ip_port?: string;
  healthy?: boolean;
  num_cpus: number;
  nthreads: number;
  max_mem: number;
  free_mem: number;
}

export interface CapabilitiesV3 {
  capabilities: Array<{ name: string }>;
}

export interface PostFileV3 {
  destination_frame: string;
  total_bytes: number;
}

/** What ParseSetup guessed; handed on to Parse with our explicit column types. */
export interface ParseSetupV3 {
  destination_frame: string;
  parse_type: string;
  separator: number;
  single_quotes: boolean;
  check_header: number;
  number_columns: number;
  column_names: string[] | null;
  column_types: string[];
  chunk_size: number;
  escapechar?: number;
  warnings?: string[] | null;
}

export interface ParseV3 {
  job: JobV3;
  destination_frame: KeyV3;
}

export interface FrameColumnV3 {
  label: string;
  /** real, int, enum, string, time, uuid */
  type: string;
  domain: string[] | null;
  missing_count: number;
}

export interface FrameV3 {
  frame_id: KeyV3;
  rows: number;
  num_columns: number;
  columns?: FrameColumnV3[];
}

export interface FramesV3 {
  frames: FrameV3[];
}

/** Base of ModelMetrics*V3: the numbers we select champions by, when the category has them. */
export interface ModelMetricsV3 {
  model_category?: string;
  MSE?: H2ONumber;
  RMSE?: H2ONumber;
  nobs?: number;
  r2?: H2ONumber;
  logloss?: H2ONumber;
  AUC?: H2ONumber;
  pr_auc?: H2ONumber;
  Gini?: H2ONumber;
  mean_per_class_error?: H2ONumber;
  mae?: H2ONumber;
  rmsle?: H2ONumber;
  mean_residual_deviance?: H2ONumber;
  residual_deviance?: H2ONumber;
  null_deviance?: H2ONumber;
  AIC?: H2ONumber;
  [field: string]: unknown;
}

export interface ModelV3 {
  model_id: KeyV3;
  algo: string;
  algo_full_name?: string;
  response_column_name?: string;
  have_mojo?: boolean;
  output?: {
    model_category?: string;
    status?: string;
    run_time?: number;
    training_metrics?: ModelMetricsV3 | null;
    validation_metrics?: ModelMetricsV3 | null;
    domains?: Array<string[] | null>;
  };
}

export interface ModelsV3 {
  models: ModelV3[];
}

/** POST /3/ModelBuilders/{algo} and /99/Grid/{algo}: the started job (dest = model or grid id). */
export interface ModelBuilderV3 {
  job: JobV3;
  error_count?: number;
  messages?: Array<{ message_type?: string; field_name?: string; message?: string }>;
}

export interface GridV3 {
  grid_id: KeyV3;
  model_ids: KeyV3[];
  failed_params?: unknown[];
  failure_details?: string[];
}

export interface PredictionsV3 {
  predictions_frame: KeyV3;
  model_metrics?: ModelMetricsV3[];
}
