/** GET /3/Cloud: the cluster's health and build version. */
import { request } from 'undici';
import { H2OUnreachableError } from '../errors';

/** The fields of CloudV3 we read (H2O adds fields between releases; the rest are ignored). */
export interface H2OCloud {
  version: string;
  branch_name: string;
  build_number: string;
  build_too_old: boolean;
  cloud_name: string;
  cloud_size: number;
  cloud_healthy: boolean;
  consensus: boolean;
}

export async function fetchCloud(baseUrl: string, timeoutMs = 10000): Promise<H2OCloud> {
  let res;
  try {
    res = await request(`${baseUrl}/3/Cloud`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  } catch (err) {
    throw new H2OUnreachableError(`H2O at ${baseUrl} is unreachable: ${(err as Error).message}`);
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new H2OUnreachableError(`H2O at ${baseUrl} answered GET /3/Cloud with HTTP ${res.statusCode}`);
  }
  return (await res.body.json()) as H2OCloud;
}
