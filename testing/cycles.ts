/**
 * Oscillation finding for `checkConvergence`: a state the run came back to after leaving it while
 * nothing outside the loop changed anything.
 *
 * @module
 */
import { at, diffValues, show } from './format.js';
import type { StateRecord, StepRecord, Trace, WriteRecord } from './trace.js';

/** A return to a state left before, with the records that show it. */
export interface Cycle {
  readonly scope: 'world' | 'store and world';
  readonly from: { readonly seq: number; readonly at: number; readonly value: unknown };
  readonly left: { readonly seq: number; readonly at: number; readonly value: unknown };
  readonly back: { readonly seq: number; readonly at: number };
}

/** A stretch of the run in which only the loop changed things: from `start` (a seq) to `end`. */
interface Segment {
  readonly start: number;
  readonly end: number;
}

/**
 * The stretches between steps that changed something. One starts once every pass that was running
 * when its step happened has finished (such a pass may still act on what it read before the step),
 * or right at a restart (the old loop's passes never land).
 */
export function quietSegments(trace: Trace<unknown>): Segment[] {
  const boundaries = trace.steps.filter((s) => s.did.length > 0).sort((a, b) => a.seq - b.seq);
  const segments: Segment[] = [];
  let start = 0;
  for (const step of boundaries) {
    if (start < step.firstSeq) segments.push({ start, end: step.firstSeq });
    start = segmentStart(trace, step);
  }
  segments.push({ start, end: Infinity });
  return segments.filter((s) => s.start < s.end);
}

function segmentStart(trace: Trace<unknown>, step: StepRecord): number {
  if (step.kind === 'restart') return step.seq;
  let start = step.seq;
  for (const key of step.running) {
    const done = trace.passes.find((p) => p.key === key && p.seq > step.seq);
    start = Math.max(start, done === undefined ? Infinity : done.seq);
  }
  return start;
}

/**
 * The first return to a left state within one quiet stretch: of the whole world, or (from `storeFrom` on, when faults no longer write failures to status) of the store and the world
 * together. A return with a stale read in between is not counted: a loop that acted on a lagging
 * read (e.g. undid a change it had not seen the reason for yet) and then repaired it did right.
 */
export function findCycle(trace: Trace<unknown>, storeFrom: number): Cycle | undefined {
  // From the virtual instant of the first state on (the read may come a little before that state's
  // record), until the return.
  const stale = trace.faults.filter((f) => f.fault === 'stale-read');
  const timeOf = new Map(trace.states.map((s) => [s.seq, s.at]));
  const excused = (from: number, back: number) => {
    const since = timeOf.get(from) ?? Infinity;
    return stale.some((f) => f.at >= since && f.seq < back);
  };
  const found: Cycle[] = [];
  for (const segment of quietSegments(trace)) {
    // The stretch's states, from the one it starts in.
    const before = trace.states.filter((s) => s.seq < segment.start).at(-1);
    const states = [...(before === undefined ? [] : [before]), ...trace.states.filter((s) => s.seq >= segment.start && s.seq < segment.end)];
    const world = scan('world', states, (s) => s.world, excused);
    if (world !== undefined) found.push(world);
    const both = scan('store and world', states.filter((s) => s.at >= storeFrom), (s) => `${s.world}|${s.store}`, excused);
    if (both !== undefined) found.push(both);
  }
  return found.sort((a, b) => a.back.at - b.back.at || rank(a) - rank(b) || a.back.seq - b.back.seq)[0];
}

function rank(cycle: Cycle): number {
  return cycle.scope === 'world' ? 0 : 1;
}

function scan(scope: Cycle['scope'], states: readonly StateRecord[], fingerprint: (s: StateRecord) => string, excused: (from: number, back: number) => boolean): Cycle | undefined {
  const seen = new Map<string, StateRecord>();
  let previous: string | undefined;
  let previousState: StateRecord | undefined;
  const parse = (state: StateRecord): unknown => {
    const world: unknown = JSON.parse(state.world);
    return scope === 'world' ? world : { world, store: JSON.parse(state.store) as unknown };
  };
  for (const state of states) {
    const f = fingerprint(state);
    if (f === previous) continue;
    const earlier = seen.get(f);
    if (earlier !== undefined && previousState !== undefined && !excused(earlier.seq, state.seq)) {
      return {
        scope,
        from: { seq: earlier.seq, at: earlier.at, value: parse(earlier) },
        left: { seq: previousState.seq, at: previousState.at, value: parse(previousState) },
        back: { seq: state.seq, at: state.at },
      };
    }
    seen.set(f, state);
    previous = f;
    previousState = state;
  }
  return undefined;
}

/** The cycle as the lines of a failure message, with the corrections and writes in it. */
export function describeCycle(cycle: Cycle, trace: Trace<unknown>, describeWrite: (w: WriteRecord) => string): string {
  const between = (r: { seq: number }) => r.seq > cycle.from.seq && r.seq <= cycle.back.seq;
  const steps = [
    ...trace.applies
      .filter((a) => between(a) && a.changed)
      .map((a) => ({ seq: a.seq, text: `${at(a.at)} world ${a.correction.action} ${a.correction.target}${a.correction.value === undefined ? '' : ` = ${show(a.correction.value, 60)}`}` })),
    ...trace.writes.filter(between).map((w) => ({ seq: w.seq, text: `${at(w.at)} store ${describeWrite(w)}` })),
  ]
    .sort((a, b) => a.seq - b.seq)
    .slice(0, 12)
    .map((s) => `    ${s.text}`);
  const away = diffValues(cycle.from.value, cycle.left.value, cycle.scope === 'world' ? 'world' : '', 6);
  return [
    `oscillation: the ${cycle.scope} went back to a state it had left (a cycle of corrections, nothing outside the loop changing anything):`,
    `    ${at(cycle.from.at)} a state; by ${at(cycle.left.at).trim()} it had become another one: ${away.join(', ')}`,
    `    ${at(cycle.back.at)} and then it was back to the first one`,
    '  corrections in the cycle:',
    ...steps,
  ].join('\n');
}
