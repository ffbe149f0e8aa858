/**
 * The shared workload: K keys `ns-<i%100>/obj-<i>`, E events over them, uniform random with a fixed
 * seed, every key at least once.
 */

/** Small deterministic PRNG (mulberry32). Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Key strings `ns-<i%100>/obj-<i>`. Built with `join`, which yields flat strings (a template literal
 * yields V8 cons-strings, which the queue under test would flatten on first hashing: that garbage
 * would be counted against it in heap measurements), then hashed once so that the hash is cached.
 */
export function makeKeys(count: number, prefix = ''): string[] {
  const keys = new Array<string>(count);
  for (let i = 0; i < count; i++) keys[i] = [prefix, 'ns-', i % 100, '/obj-', i].join('');
  const hashed = new Set<string>();
  for (let i = 0; i < count; i++) hashed.add(keys[i]!);
  return keys;
}

/** E event key indexes over K keys: each key once, the rest uniform random, then shuffled. */
export function makeEvents(events: number, keys: number, seed = 42): Int32Array {
  if (events < keys) throw new Error(`need events >= keys (${events} < ${keys})`);
  const rnd = prng(seed);
  const out = new Int32Array(events);
  for (let i = 0; i < keys; i++) out[i] = i;
  for (let i = keys; i < events; i++) out[i] = Math.floor(rnd() * keys);
  for (let i = events - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

export type Mode = 'stream' | 'burst';

/**
 * Pushes the events: `burst` synchronously, `stream` in chunks of `chunk` per `setImmediate` tick.
 * Resolves once every event was pushed; returns the time spent inside the synchronous pushes (ns).
 */
export function pushEvents(
  mode: Mode,
  events: Int32Array,
  push: (index: number) => void,
  chunk = 1000,
): Promise<void> {
  const total = events.length;
  if (mode === 'burst') {
    for (let i = 0; i < total; i++) push(events[i]!);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let i = 0;
    const tick = (): void => {
      const end = Math.min(total, i + chunk);
      for (; i < end; i++) push(events[i]!);
      if (i < total) setImmediate(tick);
      else resolve();
    };
    tick();
  });
}
