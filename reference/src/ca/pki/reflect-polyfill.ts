// @peculiar/x509 resolves its algorithm providers through tsyringe, which refuses to load
// without the Reflect metadata API ("tsyringe requires a reflect polyfill"). The usual
// polyfill package (reflect-metadata) is not among our dependencies, so this is the
// minimal subset tsyringe and tslib's decorator helpers call. Import it before
// @peculiar/x509 (pki/x509.ts does). Replace with `import 'reflect-metadata'` once that
// package is added.
type Key = unknown;
type Target = object;

const store = new WeakMap<Target, Map<Key, unknown>>();

function own(target: Target, create: boolean): Map<Key, unknown> | undefined {
  let m = store.get(target);
  if (!m && create) {
    m = new Map();
    store.set(target, m);
  }
  return m;
}

interface ReflectMetadata {
  getMetadata?: (key: Key, target: Target) => unknown;
  getOwnMetadata: (key: Key, target: Target) => unknown;
  hasMetadata: (key: Key, target: Target) => boolean;
  hasOwnMetadata: (key: Key, target: Target) => boolean;
  defineMetadata: (key: Key, value: unknown, target: Target) => void;
  metadata: (key: Key, value: unknown) => (target: Target) => void;
}

const R = Reflect as unknown as ReflectMetadata;
if (typeof R.getMetadata !== 'function') {
  const get = (key: Key, target: Target): unknown => {
    for (let o: Target | null = target; o; o = Object.getPrototypeOf(o) as Target | null) {
      const m = store.get(o);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  };
  Object.assign(R, {
    getMetadata: get,
    getOwnMetadata: (key: Key, target: Target) => store.get(target)?.get(key),
    hasMetadata: (key: Key, target: Target) => get(key, target) !== undefined,
    hasOwnMetadata: (key: Key, target: Target) => store.get(target)?.has(key) ?? false,
    defineMetadata: (key: Key, value: unknown, target: Target) => {
      own(target, true)!.set(key, value);
    },
    metadata: (key: Key, value: unknown) => (target: Target) => {
      own(target, true)!.set(key, value);
    },
  } satisfies Omit<ReflectMetadata, never>);
}

export {};
