// Real-time changes for the dashboard: any module (events, compliance, audit, the CA)
// publishes a change of one organization on one channel; the api's WebSocket server
// (every replica) receives it through Redis pub/sub and pushes it to the sockets that
// subscribed to that organization and channel.
//
//   await publishOrgEvent(ctx.redis, orgId, 'compliance', { assetId, score, status });
//
// Publishing never throws: a Redis outage loses live updates, never the change itself
// (the change is already stored). The Redis message is the WebSocket frame itself, so
// replicas forward it without parsing.
import type { Redis } from './redis.js';

export const REALTIME_CHANNELS = ['events', 'compliance', 'audit'] as const;
export type RealtimeChannel = (typeof REALTIME_CHANNELS)[number];

const PREFIX = 'aigos:rt:';
/** Pattern the WebSocket server subscribes to, once per process. */
export const REALTIME_PATTERN = `${PREFIX}*`;

/** Frame sent to WebSocket subscribers. */
export interface RealtimeFrame<T = unknown> {
  type: 'message';
  channel: RealtimeChannel;
  orgId: string;
  publishedAt: string;
  data: T;
}

export function redisChannel(orgId: string, channel: RealtimeChannel): string {
  return `${PREFIX}${orgId}:${channel}`;
}

/** The organization and channel of a Redis channel name, or undefined if it is not ours. */
export function parseRedisChannel(name: string): { orgId: string; channel: RealtimeChannel } | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  const rest = name.slice(PREFIX.length);
  const cut = rest.lastIndexOf(':');
  if (cut <= 0) return undefined;
  const channel = rest.slice(cut + 1) as RealtimeChannel;
  if (!REALTIME_CHANNELS.includes(channel)) return undefined;
  return { orgId: rest.slice(0, cut), channel };
}

/** A payload that is already JSON text (saves serializing a large object twice). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** The RealtimeFrame as JSON text. */
function frame(orgId: string, channel: RealtimeChannel, data: unknown): string {
  const body = data instanceof RawJson ? data.text : JSON.stringify(data ?? null);
  return `{"type":"message","channel":${JSON.stringify(channel)},"orgId":${JSON.stringify(orgId)},"publishedAt":"${new Date().toISOString()}","data":${body}}`;
}

/** Publish one change. Resolves false (never throws) when Redis is unavailable. */
export async function publishOrgEvent(
  redis: Redis | undefined,
  orgId: string,
  channel: RealtimeChannel,
  payload: unknown,
): Promise<boolean> {
  if (!redis) return false;
  try {
    await redis.publish(redisChannel(orgId, channel), frame(orgId, channel, payload));
    return true;
  } catch {
    return false;
  }
}

/** Publish many changes of one organization and channel in one round trip. */
export async function publishOrgEvents(
  redis: Redis | undefined,
  orgId: string,
  channel: RealtimeChannel,
  payloads: readonly unknown[],
): Promise<boolean> {
  if (!redis || payloads.length === 0) return payloads.length === 0;
  try {
    const name = redisChannel(orgId, channel);
    const pipe = redis.pipeline();
    for (const p of payloads) pipe.publish(name, frame(orgId, channel, p));
    await pipe.exec();
    return true;
  } catch {
    return false;
  }
}

// Changes made inside a transaction are announced only after it commits (a rolled-back
// change must never reach a dashboard). Code deep in a transaction queues them on its
// database client; whoever commits takes the queue and publishes it.
const pending = new WeakMap<object, { orgId: string; channel: RealtimeChannel; payload: unknown }[]>();

export function queueOrgEvent(
  client: object,
  orgId: string,
  channel: RealtimeChannel,
  payload: unknown,
): void {
  const list = pending.get(client) ?? [];
  list.push({ orgId, channel, payload });
  pending.set(client, list);
}

/** Remove and return what the transaction on this client queued (call before releasing it). */
export function takeQueuedOrgEvents(
  client: object,
): { orgId: string; channel: RealtimeChannel; payload: unknown }[] {
  const list = pending.get(client) ?? [];
  pending.delete(client);
  return list;
}
