// The OCSP hot path reads certificate status from memory. An entry is filled from
// certificate_status on first use and dropped when any replica revokes that serial: the
// revoking replica drops its own entry before answering, and publishes the serial on a
// Redis channel that every replica subscribes to. The cache is used only while the
// subscription is live; without it (Redis down, not yet connected) every lookup goes to
// the database. A generation counter keeps a lookup that raced with an invalidation from
// caching what it read, and entries expire after about a minute as a last safety net
// (spread out, so entries filled together are not all fetched again together).
// Unknown serials are never cached (so a certificate issued by another replica is known
// at once, and random serials cannot fill memory).
import type pg from 'pg';
import type { Logger } from '../common/logger.js';
import type { Redis } from '../common/redis.js';
import { type PublicStatus, statusBySerials } from './repository.js';

export const STATUS_CHANNEL = 'aigos:ca:status-changed';
const TTL_MS = 60_000;
const MAX_ENTRIES = 100_000;

export class StatusCache {
  private readonly entries = new Map<string, { value: PublicStatus; expires: number }>();
  private generation = 0;
  private live = false;
  private subscriber?: Redis;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    private readonly publisher?: Redis,
  ) {}

  /** Subscribe to invalidations (a second Redis connection). Without Redis the cache stays off. */
  start(): void {
    if (!this.publisher) return;
    const sub = this.publisher.duplicate();
    this.subscriber = sub;
    const off = () => {
      this.live = false;
      this.entries.clear();
      this.generation++;
    };
    sub.on('ready', () => {
      sub.subscribe(STATUS_CHANNEL).then(
        () => {
          this.entries.clear(); // invalidations may have been missed while disconnected
          this.generation++;
          this.live = true;
        },
        (err: Error) => this.log.warn({ err: { message: err.message } }, 'status cache: subscribe failed'),
      );
    });
    sub.on('close', off);
    sub.on('end', off);
    sub.on('error', () => off());
    sub.on('message', (channel: string, serial: string) => {
      if (channel === STATUS_CHANNEL) this.drop(serial);
    });
  }

  stop(): void {
    this.live = false;
    this.subscriber?.disconnect();
  }

  get enabled(): boolean {
    return this.live;
  }

  private drop(serial: string): void {
    this.entries.delete(serial);
    this.generation++;
  }

  async lookup(serials: string[]): Promise<Map<string, PublicStatus>> {
    if (!this.live) return statusBySerials(this.pool, serials);
    const now = Date.now();
    const out = new Map<string, PublicStatus>();
    const missing: string[] = [];
    for (const s of serials) {
      const e = this.entries.get(s);
      if (e && now < e.expires) out.set(s, e.value);
      else missing.push(s);
    }
    if (missing.length === 0) return out;
    const generation = this.generation;
    const found = await statusBySerials(this.pool, missing);
    const cacheable = this.live && generation === this.generation;
    for (const [serial, value] of found) {
      out.set(serial, value);
      if (cacheable) {
        if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(serial, { value, expires: now + TTL_MS * (0.5 + Math.random() / 2) });
      }
    }
    return out;
  }

  /** After a status change committed: forget it here, tell the other replicas. */
  async changed(serial: string): Promise<void> {
    this.drop(serial);
    if (!this.publisher) return;
    try {
      await this.publisher.publish(STATUS_CHANNEL, serial);
    } catch (err) {
      // other replicas then serve the old status until their entry expires (at most
      // TTL_MS), or not at all when their own subscription is down too (cache off)
      this.log.warn({ err: { message: (err as Error).message }, serial }, 'status cache: publish failed');
    }
  }
}
