// The live feed: one WebSocket to /ws (same origin, the session cookie authenticates the
// upgrade), subscribed to the organization's channels; components register handlers per
// channel. Reconnects with backoff; after a reconnect every handler is told (`resync`) so
// views reload what they may have missed.
import { useEffect, useState } from 'react';

export type Channel = 'events' | 'compliance' | 'audit';
export type LiveStatus = 'connecting' | 'live' | 'offline';

export interface LiveMessage {
  channel: Channel;
  data: Record<string, unknown> | null;
  publishedAt?: string;
  /** true when this is a reconnect notice rather than a change */
  resync?: boolean;
}

type Handler = (m: LiveMessage) => void;

class Live {
  private ws: WebSocket | undefined;
  private handlers = new Map<Channel, Set<Handler>>();
  private statusListeners = new Set<(s: LiveStatus) => void>();
  private channels: Channel[] = [];
  private retry = 0;
  private timer: number | undefined;
  private wasLive = false;
  private stopped = true;
  status: LiveStatus = 'offline';

  start(channels: Channel[]): void {
    this.channels = channels;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.ws?.close(1000, 'signed out');
    this.ws = undefined;
    this.wasLive = false;
    this.setStatus('offline');
  }

  private setStatus(s: LiveStatus): void {
    this.status = s;
    for (const l of this.statusListeners) l(s);
  }

  private connect(): void {
    if (this.stopped) return;
    const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${window.location.host}/ws?channels=${this.channels.join(',')}`);
    this.ws = ws;
    this.setStatus('connecting');
    ws.onmessage = (e) => {
      let msg: { type?: string; channel?: Channel; data?: unknown; publishedAt?: string };
      try {
        msg = JSON.parse(String(e.data)) as typeof msg;
      } catch {
        return;
      }
      if (msg.type === 'subscribed') {
        const reconnect = this.wasLive;
        this.wasLive = true;
        this.retry = 0;
        this.setStatus('live');
        if (reconnect) for (const c of this.channels) this.emit({ channel: c, data: null, resync: true });
      } else if (msg.type === 'message' && msg.channel) {
        this.emit({
          channel: msg.channel,
          data: msg.data && typeof msg.data === 'object' ? (msg.data as Record<string, unknown>) : null,
          publishedAt: msg.publishedAt,
        });
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.stopped) return;
      this.setStatus('offline');
      const delay = Math.min(15_000, 500 * 2 ** this.retry++);
      this.timer = window.setTimeout(() => this.connect(), delay);
    };
  }

  private emit(m: LiveMessage): void {
    for (const h of this.handlers.get(m.channel) ?? []) {
      try {
        h(m);
      } catch (err) {
        console.warn('live handler failed', err);
      }
    }
  }

  on(channel: Channel, h: Handler): () => void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(h);
    return () => set.delete(h);
  }

  onStatus(l: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(l);
    return () => this.statusListeners.delete(l);
  }
}

export const live = new Live();

/** Call handler for each message on the channel while the component is mounted. */
export function useLive(channel: Channel, handler: Handler): void {
  useEffect(() => live.on(channel, handler), [channel, handler]);
}

export function useLiveStatus(): LiveStatus {
  const [s, setS] = useState(live.status);
  useEffect(() => live.onStatus(setS), []);
  return s;
}
