/**
 * What a simulation knows of its run, as it happens: the trace records in order, and the store-side
 * bookkeeping its checks ask about (which writes were the steps', which keys a step changed that no
 * pass has looked at since, which keys converged, which specs the desired changes set).
 *
 * @module
 */
import { keyOf } from '../src/index.js';
import type { Key, PassResult, Resource, WatchEvent } from '../src/index.js';
import type { InjectedFault } from './faults.js';
import { at, show, stableJson } from './format.js';
import { passSummary } from './marbles.js';
import type { ApplyRecord, FaultRecord, PassRecord, PlanRecord, StateRecord, StepRecord, Trace, WorldRecord, WriteRecord } from './trace.js';
import type { Items } from './world.js';

/** The records of a trace, in order (`seq` orders records across the lists). */
export class TraceRecorder<V> {
  readonly trace: Trace<V>;
  private readonly t: {
    passes: PassRecord[];
    writes: WriteRecord[];
    applies: ApplyRecord<V>[];
    plans: PlanRecord[];
    faults: FaultRecord[];
    worlds: WorldRecord<V>[];
    states: StateRecord[];
    steps: StepRecord[];
  };
  private seq = 0;
  private readonly now: () => number;
  private readonly snapshot: () => Items<V>;
  /** The kind's content by key (stable JSON), and the last version of each resource seen. */
  private readonly content = new Map<Key, string>();
  private readonly lastSeen = new Map<Key, Resource>();
  private readonly uids = new Map<string, string>();
  /** Keys whose last finished pass converged (since the resource was created). */
  private readonly converged = new Set<Key>();
  /** Keys a step is writing right now (stores that tell watchers inside the write). */
  private readonly stepWriting = new Set<Key>();
  /** `key@version` of the steps' writes whose change events have not come yet (stores that tell watchers later). */
  private readonly stepVersions = new Set<string>();
  /** Keys a step deleted for good, whose `deleted` event has not come yet. */
  private readonly stepDeletes = new Set<Key>();
  /** Keys a step changed, with when: no pass has looked at them since. */
  private readonly unseen = new Map<Key, { readonly seq: number; readonly at: number }>();
  /** Where each key's running pass started. */
  private readonly passStart = new Map<Key, number>();
  /** The spec the last desired change set per key, and the ones it replaced. */
  private readonly desiredSpecs = new Map<Key, { readonly spec: string; readonly earlier: Set<string>; readonly at: number }>();
  /** False while `startSimulation` seeds the store: its writes are neither the loop's nor steps. */
  seeding = true;

  constructor(seed: number, now: () => number, snapshot: () => Items<V>) {
    this.now = now;
    this.snapshot = snapshot;
    this.t = { passes: [], writes: [], applies: [], plans: [], faults: [], worlds: [], states: [], steps: [] };
    this.trace = { seed, ...this.t };
  }

  /** The `seq` the next record gets. */
  get position(): number {
    return this.seq;
  }

  fault(fault: InjectedFault): void {
    this.t.faults.push({ seq: this.seq++, ...fault });
  }

  plan(key: Key, corrections: PlanRecord['corrections']): void {
    this.t.plans.push({ seq: this.seq++, at: this.now(), key, corrections });
  }

  apply(record: Omit<ApplyRecord<V>, 'seq' | 'at'>): void {
    this.t.applies.push({ seq: this.seq++, at: this.now(), ...record });
  }

  step(record: Omit<StepRecord, 'seq'>): void {
    this.t.steps.push({ seq: this.seq++, ...record });
  }

  /** A pass of `key` starts (its record, at its end, knows where it began). */
  passStarted(key: Key): void {
    this.passStart.set(key, this.seq);
  }

  pass(incarnation: number, r: PassResult): void {
    const o = r.outcome;
    let error: string | undefined;
    if (o.type === 'retry' || o.type === 'terminal') {
      const code = (o.error as { code?: unknown }).code;
      error = `${typeof code === 'string' ? code : o.error.name}: ${o.error.message}`;
    }
    if (o.type === 'converged' || o.type === 'requeueAfter') this.converged.add(r.key);
    const unseen = this.unseen.get(r.key);
    if (unseen !== undefined && (this.passStart.get(r.key) ?? -1) > unseen.seq) this.unseen.delete(r.key);
    this.t.passes.push({
      seq: this.seq++,
      at: r.finishedAt,
      startedAt: r.startedAt,
      key: r.key,
      reason: r.request.reason,
      outcome: o.type,
      error,
      failures: r.failures,
      parked: r.parked,
      summary: passSummary(r),
      reconcileId: r.reconcileId,
      incarnation,
    });
  }

  /** The world's true state now (after a change). */
  world(): void {
    this.t.worlds.push({ seq: this.seq++, at: this.now(), items: this.snapshot() });
    this.pushState();
  }

  /** Whether the loop finished a converged pass of `key` since the resource was created. */
  convergedOn(key: Key): boolean {
    return this.converged.has(key);
  }

  /** When a step changed `key` that no pass has looked at since, if one did. */
  unseenSince(key: Key): number | undefined {
    return this.unseen.get(key)?.at;
  }

  /** A new store (a durable one reopened): its watch replays the kind from scratch. */
  resetStore(): void {
    this.content.clear();
    this.lastSeen.clear();
  }

  /**
   * Runs one of a step's store writes for `key`, so that its change event is known as the step's: by
   * the key while the call runs (a store that tells watchers inside the write), else by the version
   * the write returns (a delete that removed the resource: by the key).
   */
  stepWrite<R>(key: Key, call: () => Promise<R>): Promise<R> {
    this.stepWriting.add(key);
    let promise: Promise<R>;
    try {
      promise = call();
    } finally {
      this.stepWriting.delete(key);
    }
    return promise.then((result) => {
      const version = (result as Partial<Resource> | undefined)?.metadata?.version;
      if (typeof version === 'string') this.stepVersions.add(`${key}@${version}`);
      else this.stepDeletes.add(key);
      return result;
    });
  }

  /** Records the spec a desired change stored for `key` (`undefined`: the resource was deleted). */
  desiredSpec(key: Key, resource: Resource | undefined): void {
    const before = this.desiredSpecs.get(key);
    if (resource === undefined) {
      this.desiredSpecs.delete(key);
      return;
    }
    const earlier = before?.earlier ?? new Set<string>();
    if (before !== undefined) earlier.add(before.spec);
    const spec = stableJson(resource.spec);
    earlier.delete(spec);
    this.desiredSpecs.set(key, { spec, earlier, at: this.now() });
  }

  /** Desired changes the loop wrote back over: specs back to one a later desired change replaced. */
  lostDesiredChanges(kind: string, resources: readonly Resource[]): string[] {
    const out: string[] = [];
    for (const resource of resources) {
      const key = keyOf(resource);
      const wanted = this.desiredSpecs.get(key);
      if (wanted === undefined) continue;
      const spec = stableJson(resource.spec);
      if (spec !== wanted.spec && wanted.earlier.has(spec)) {
        out.push(
          `${kind}/${key} spec is ${show(resource.spec, 80)} again: the desired change at ${at(wanted.at).trim()} set ${show(JSON.parse(wanted.spec), 80)}, and the loop wrote the old spec back`,
        );
      }
    }
    return out;
  }

  /** One change event of the true store: a write of the loop (or of a step), and the kind's content. */
  event(event: WatchEvent): void {
    if (event.type === 'synced') return;
    const object = event.object;
    const key = keyOf(object);
    const before = this.lastSeen.get(key);
    if (event.type === 'deleted') {
      this.content.delete(key);
      this.lastSeen.delete(key);
    } else {
      this.content.set(key, stableJson(contentOf(object)));
      this.lastSeen.set(key, object);
    }
    if (event.type === 'added') this.converged.delete(key);
    const byStep =
      !event.initial &&
      (this.stepWriting.has(key) || this.stepVersions.delete(`${key}@${object.metadata.version}`) || (event.type === 'deleted' && this.stepDeletes.delete(key)));
    if (byStep) this.unseen.set(key, { seq: this.seq++, at: this.now() });
    if (!event.initial && !this.seeding && !byStep) {
      const after = event.type === 'deleted' ? undefined : object;
      const changed =
        event.type === 'added' ? ['created'] : event.type === 'deleted' ? (object.metadata.deletionTimestamp !== undefined ? ['finalizers', 'removed'] : ['removed']) : changes(before, after);
      if (changed.length > 0) {
        this.t.writes.push({
          seq: this.seq++,
          at: this.now(),
          op: opOf(event, before),
          kind: object.kind,
          key,
          changed,
          before: this.withStableUid(before),
          after: this.withStableUid(after),
        });
      }
    }
    this.pushState();
  }

  /** A copy of `resource` whose uid is numbered in order of appearance (a replay gets the same ones). */
  private withStableUid(resource: Resource | undefined): Resource | undefined {
    if (resource === undefined) return undefined;
    const uid = resource.metadata.uid;
    let stable = this.uids.get(uid);
    if (stable === undefined) this.uids.set(uid, (stable = `uid-${this.uids.size + 1}`));
    return { ...resource, metadata: { ...resource.metadata, uid: stable } };
  }

  private pushState(): void {
    const store = `{${[...this.content].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    const world = stableJson(this.snapshot());
    const last = this.t.states[this.t.states.length - 1];
    if (last !== undefined && last.store === store && last.world === world) return;
    this.t.states.push({ seq: this.seq++, at: this.now(), world, store });
  }
}

/** What of a resource counts as content (no version, uid or timestamps of the store). */
function contentOf(r: Resource): unknown {
  const m = r.metadata;
  return {
    spec: r.spec,
    status: r.status,
    labels: m.labels,
    annotations: m.annotations,
    finalizers: m.finalizers,
    ownerReferences: m.ownerReferences,
    deleting: m.deletionTimestamp !== undefined,
  };
}

/** The call a change event comes from. */
function opOf(event: WatchEvent, before: Resource | undefined): WriteRecord['op'] {
  if (event.type === 'added') return 'create';
  if (event.type === 'synced') return 'update';
  const object = event.object;
  if (event.type === 'deleted') return object.metadata.deletionTimestamp !== undefined ? 'update' : 'delete';
  if (object.metadata.deletionTimestamp !== undefined && before?.metadata.deletionTimestamp === undefined) return 'delete';
  const sameButStatus =
    before !== undefined &&
    stableJson(before.spec) === stableJson(object.spec) &&
    (['finalizers', 'labels', 'annotations', 'ownerReferences'] as const).every((f) => stableJson(before.metadata[f]) === stableJson(object.metadata[f]));
  return sameButStatus ? 'updateStatus' : 'update';
}

/** The names of what changed between two versions of a resource. */
function changes(before: Resource | undefined, after: Resource | undefined): string[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return ['created'];
  if (after === undefined) return ['removed'];
  if (before.metadata.version === after.metadata.version) return [];
  const out: string[] = [];
  if (stableJson(before.spec) !== stableJson(after.spec)) out.push('spec');
  if (stableJson(before.status) !== stableJson(after.status)) out.push('status');
  for (const field of ['finalizers', 'labels', 'annotations', 'ownerReferences'] as const) {
    if (stableJson(before.metadata[field]) !== stableJson(after.metadata[field])) out.push(field);
  }
  if (before.metadata.deletionTimestamp !== after.metadata.deletionTimestamp) out.push('deleting');
  return out.length > 0 ? out : ['version'];
}
