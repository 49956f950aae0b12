/** What activity factories receive: the clients the worker builds once (activities-dependency-injection). */
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { Config } from '../config';

export interface ActivityDeps {
  config: Config;
  pool: Pool;
  redis: Redis;
}
