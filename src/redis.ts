/** The Redis client (ioredis) the worker builds once: the online cache and shared rate-limit state. */
import Redis from 'ioredis';
import type { RedisConfig } from './config';

export function createRedis(config: RedisConfig): Redis {
  const redis = new Redis(config.url, { maxRetriesPerRequest: 3, lazyConnect: false, enableOfflineQueue: true });
  redis.on('error', () => {}); // reconnects on its own; commands still reject while it is down
  return redis;
}
