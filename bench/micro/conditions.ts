/**
 * What the status conditions cost a no-change pass (BENCHMARKS.md #18), measured in one process:
 * three stores with the same K resources — one watched by a loop with conditions, one by a loop
 * with `conditions: false`, one by no loop — then rounds of M label writes (desired = current, so
 * every pass converges and writes nothing), the three stores taking turns. CPU per write, median of
 * the rounds; the differences are the loop's cost and the conditions' cost.
 *
 *   npm run bench:micro -- --conditions            # K = 5k, M = 5k, 9 rounds
 *   npm run bench:micro -- --conditions --quick
 */
import { createMemoryStore, defineLoop, type Loop, type MemoryStore } from 'rx-reconcile';
import { makeMetadataInput, makeSpec, makeStatus, type BenchSpec, type BenchStatus } from '../lib/resource.js';
import { median, nextMacrotask } from '../lib/util.js';

export async function conditionsCost(quick: boolean): Promise<void> {
  const K = quick ? 300 : 5_000;
  const M = quick ? 300 : 5_000;
  const ROUNDS = quick ? 3 : 9;
  const kind = 'Service';

  interface Setup {
    readonly store: MemoryStore;
    readonly keys: string[];
    readonly loop: Loop | undefined;
  }
  const setup = async (mode: 'conditions' | 'no-conditions' | 'no-loop'): Promise<Setup> => {
    const store = createMemoryStore();
    const keys: string[] = [];
    for (let i = 0; i < K; i++) {
      const r = await store.create<BenchSpec, BenchStatus>(kind, { metadata: makeMetadataInput(i), spec: makeSpec(i), status: makeStatus(1) });
      keys.push(`${r.metadata.namespace}/${r.metadata.name}`);
    }
    const loop =
      mode === 'no-loop'
        ? undefined
        : defineLoop<BenchSpec, BenchStatus>({
            name: `micro-${mode}`,
            store,
            kind,
            workers: 16,
            conditions: mode === 'conditions',
            async reconcile(_request, ctx) {
              await ctx.get();
            },
          });
    await loop?.whenIdle();
    return { store, keys, loop };
  };
  const cpu = (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  /** µs of CPU per write for M label writes (and the passes they cause). */
  const batch = async (s: Setup, round: number): Promise<number> => {
    const t = cpu();
    for (let m = 0; m < M; m++) {
      const key = s.keys[(m * 7919 + round) % K]!;
      const current = (await s.store.get<BenchSpec, BenchStatus>(kind, key))!;
      await s.store.update({ ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, round: `${round}-${m}` } } });
      if (m % 1000 === 999) await nextMacrotask();
    }
    await s.loop?.whenIdle();
    return (cpu() - t) / M;
  };

  /** µs of CPU per pass for M passes started by `trigger` with nothing written (as a resync runs them). */
  const passes = async (s: Setup, round: number): Promise<number> => {
    const loop = s.loop!;
    const t = cpu();
    for (let m = 0; m < M; m++) {
      loop.trigger(s.keys[(m * 7919 + round) % K]!);
      if (m % 1000 === 999) await loop.whenIdle();
    }
    await loop.whenIdle();
    return (cpu() - t) / M;
  };

  const setups: readonly Setup[] = [await setup('conditions'), await setup('no-conditions'), await setup('no-loop')];
  const times: number[][] = [[], [], []];
  const passTimes: number[][] = [[], []];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < setups.length; i++) times[i]!.push(await batch(setups[i]!, r));
    for (let i = 0; i < 2; i++) passTimes[i]!.push(await passes(setups[i]!, r));
  }
  for (const s of setups) await s.loop?.stop();
  const [withConditions, withoutConditions, noLoop] = times.map((t) => median(t)) as [number, number, number];
  const [passWith, passWithout] = passTimes.map((t) => median(t)) as [number, number];
  const f = (us: number): string => `${us.toFixed(2)} µs`;
  process.stdout.write(`${M} label writes per round over ${K} resources, median of ${ROUNDS} rounds taking turns, Node ${process.version}\n`);
  process.stdout.write(`CPU per write, no loop:                          ${f(noLoop)}\n`);
  process.stdout.write(`CPU per write, loop with conditions: false:      ${f(withoutConditions)}  (loop: +${f(withoutConditions - noLoop)})\n`);
  process.stdout.write(`CPU per write, loop with conditions:             ${f(withConditions)}  (conditions: +${f(withConditions - withoutConditions)})\n`);
  process.stdout.write(`${M} no-change passes per round started by trigger (nothing written, as a resync runs them):\n`);
  process.stdout.write(`CPU per pass, loop with conditions: false:       ${f(passWithout)}\n`);
  process.stdout.write(`CPU per pass, loop with conditions:              ${f(passWith)}  (conditions: +${f(passWith - passWithout)})\n`);
}
