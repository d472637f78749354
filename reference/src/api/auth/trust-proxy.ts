// The client address behind trusted proxies (seed-review row 15). TRUST_PROXY lists the
// peers whose X-Forwarded-For is believed; the client is the right-most address that is
// not such a proxy. A forged X-Forwarded-For sent straight from an untrusted peer is
// ignored, so it cannot move a client to another rate-limit or lockout bucket.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

const KEYWORDS: Record<string, [string, number, 'ipv4' | 'ipv6'][]> = {
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  linklocal: [
    ['169.254.0.0', 16, 'ipv4'],
    ['fe80::', 10, 'ipv6'],
  ],
  uniquelocal: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
  ],
};

/** `::ffff:10.0.0.1` -> `10.0.0.1`; other addresses unchanged. */
export function normalizeAddress(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m ? m[1]! : addr;
}

export type TrustFn = (addr: string, hop: number) => boolean;

/** A predicate for Express's `trust proxy` setting and for raw requests (WebSocket upgrades). */
export function trustProxyFn(list: readonly string[]): TrustFn {
  const blocks = new BlockList();
  let any = false;
  for (const item of list) {
    if (item === 'none') continue;
    const ranges = KEYWORDS[item];
    if (ranges) {
      for (const [net, bits, type] of ranges) blocks.addSubnet(net, bits, type);
      any = true;
      continue;
    }
    const [addr, bits] = item.split('/');
    const family = isIP(addr ?? '');
    if (!family) throw new Error(`TRUST_PROXY: ${item} is not an address or CIDR`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    blocks.addSubnet(addr!, bits === undefined ? (family === 4 ? 32 : 128) : Number(bits), type);
    any = true;
  }
  return (addr: string) => {
    if (!any) return false;
    const a = normalizeAddress(addr);
    const family = isIP(a);
    if (!family) return false;
    return blocks.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/** The client address of a raw request, with the same rule Express applies to req.ip. */
export function clientAddress(req: IncomingMessage, trust: TrustFn): string {
  let addr = normalizeAddress(req.socket.remoteAddress ?? '');
  const forwarded = (req.headers['x-forwarded-for'] ?? '')
    .toString()
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let hop = 0;
  while (trust(addr, hop) && forwarded.length) {
    addr = normalizeAddress(forwarded.pop()!);
    hop++;
  }
  return addr;
}
