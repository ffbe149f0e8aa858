/**
 * rx-reconcile/testing in one page: prove a loop idempotent, and convergent under faults while its
 * desired state and its world change and it restarts; then watch the kit catch the classic write
 * storm (a timestamp written on every pass), with the seed to replay it.
 *
 * Run: node --conditions=rx-reconcile-source --loader ts-node/esm examples/testing-kit.ts
 */
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { Outcome } from 'rx-reconcile';
import { CheckFailedError, checkConvergence, checkIdempotent, loopDefinition, memoryWorld } from 'rx-reconcile/testing';

interface AppSpec {
  replicas: number;
}
interface AppStatus {
  phase?: string;
  syncedAt?: string;
}

/** Keeps one world item per `App`: its replica count. With `stampTime`, the classic bug. */
export function appLoop(stampTime = false) {
  return loopDefinition<AppSpec, AppStatus, number>({
    // The options you pass to defineLoop, minus store and scheduler (the run provides them).
    loop: ({ world }) => ({
      name: 'apps',
      kind: 'App',
      resync: 30_000,
      async reconcile(_request, ctx) {
        const app = await ctx.get();
        if (app === undefined) return Outcome.converged();
        const { name } = app.metadata;
        if ((await world.get(name)) !== app.spec.replicas) {
          await world.apply({ action: 'update', target: name, value: app.spec.replicas, idempotencyKey: `${name}:${app.spec.replicas}` });
        }
        await ctx.updateStatus(app, (status) => {
          status.phase = 'Ready';
          if (stampTime) status.syncedAt = ctx.now(); // BUG: a new value on every pass
        });
        return Outcome.converged();
      },
    }),
    world: (initial) => memoryWorld(initial, { onUpdateMissing: 'create' }),
    expected: (apps) => Object.fromEntries(apps.map((app) => [app.metadata.name, app.spec.replicas])),
  });
}

const inputs = {
  desired: fc
    .record({ web: fc.nat(5), db: fc.nat(5) })
    .map((apps) => Object.entries(apps).map(([name, replicas]) => ({ metadata: { name }, spec: { replicas } }))),
  current: fc.dictionary(fc.constantFrom('web', 'db'), fc.nat(5)),
  numRuns: 50,
};

/** Runs the checks and prints what they found. */
export async function main(): Promise<{ idempotent: boolean; convergent: boolean; stormCaught: string | undefined }> {
  const idem = await checkIdempotent(appLoop(), inputs);
  console.log(`idempotent: ${idem.numRuns} runs, ${idem.passes} passes, seed ${idem.seed}`);
  const conv = await checkConvergence(appLoop(), inputs); // changes mid-run, restarts, faults around them
  console.log(`convergent under faults: ${conv.numRuns} runs, ${conv.steps} steps (changes mid-run, restarts), ${conv.faults} injected faults, slowest ${conv.slowestConvergence} ms`);

  let stormCaught: string | undefined;
  try {
    await checkIdempotent(appLoop(true), inputs);
  } catch (error) {
    if (!(error instanceof CheckFailedError)) throw error;
    stormCaught = error.message;
    console.log(`write storm caught (${error.code}), replay with seed ${error.details.seed}:`);
    console.log(error.message.split('\n').slice(0, 12).join('\n'));
  }
  return { idempotent: true, convergent: true, stormCaught };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
