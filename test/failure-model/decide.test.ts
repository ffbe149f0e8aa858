/**
 * The failure model as a table: outcome × class × history → what happens next. Mirrors the README's
 * failure table (and `src/failure-model.ts`): transient backs off then quarantines, conflict retries
 * at once a bounded number of times, permanent parks, dependency waits without counting.
 */
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ConflictError,
  DependencyNotReadyError,
  InvalidArgumentError,
  MalformedResourceError,
  NotFoundError,
  Outcome,
  PermanentError,
  ResourceTooLargeError,
  TimeoutError,
  TransientError,
  ValidationError,
} from 'rx-reconcile';
import { decide } from '../../src/failure-model.js';
import type { Decision, FailurePolicy } from '../../src/failure-model.js';

const policy: FailurePolicy = { steps: 3, conflictRetries: 2, dependencyInterval: 5000 };

type Row = [what: string, outcome: Outcome, failures: number, conflicts: number, expected: Partial<Decision> & { type: string }];

const table: Row[] = [
  // success resets everything
  ['converged after failures', Outcome.converged(), 2, 1, { type: 'converged', failureClass: undefined, failures: 0, conflicts: 0, hold: 'none' }],
  ['requeueAfter(ms) looks again, resets', Outcome.requeueAfter(60_000), 2, 1, { type: 'requeueAfter', failures: 0, conflicts: 0, hold: 'requeue', delay: 60_000 }],
  // transient: back off, then quarantine after `steps` retries
  ['transient, first failure', Outcome.retry(new TransientError('net')), 0, 0, { type: 'retry', failureClass: 'transient', failures: 1, hold: 'backoff' }],
  ['unknown error is transient', Outcome.retry(new Error('?')), 1, 0, { type: 'retry', failureClass: 'transient', failures: 2, hold: 'backoff' }],
  ['a non-Error throw is transient', Outcome.retry('boom'), 0, 0, { type: 'retry', failureClass: 'transient', failures: 1, hold: 'backoff' }],
  ['a timeout is transient', Outcome.retry(new TimeoutError(10)), 2, 0, { type: 'retry', failureClass: 'transient', failures: 3, hold: 'backoff' }],
  ['transient past steps quarantines', Outcome.retry(new TransientError('net')), 3, 0, { type: 'retry', failureClass: 'transient', failures: 4, parked: 'quarantined', hold: 'none' }],
  // conflict: at once, bounded, then like transient
  ['conflict retries at once', Outcome.retry(new ConflictError('T', 'a', '1', '2')), 0, 0, { type: 'retry', failureClass: 'conflict', conflicts: 1, failures: 0, hold: 'requeue', delay: 0 }],
  ['conflict again, still at once', Outcome.retry(new ConflictError('T', 'a', '1', '2')), 0, 1, { type: 'retry', failureClass: 'conflict', conflicts: 2, hold: 'requeue', delay: 0 }],
  ['conflicts past the bound back off', Outcome.retry(new ConflictError('T', 'a', '1', '2')), 0, 2, { type: 'retry', failureClass: 'conflict', conflicts: 2, failures: 1, hold: 'backoff' }],
  // permanent: park
  ['PermanentError parks as terminal', Outcome.retry(new PermanentError('bad')), 0, 0, { type: 'terminal', failureClass: 'permanent', failures: 1, parked: 'terminal', hold: 'none' }],
  ['ValidationError is permanent', Outcome.retry(new ValidationError('T', 'a', [{ path: 'spec.x', message: 'no' }])), 0, 0, { type: 'terminal', failureClass: 'permanent', parked: 'terminal' }],
  ['a store refusing a document as too large is permanent (the same write fails the same way)', Outcome.retry(new ResourceTooLargeError('T', 'a', 100, 'spec')), 0, 0, { type: 'terminal', failureClass: 'permanent', parked: 'terminal' }],
  ['a malformed stored record is permanent (read again, it is as broken)', Outcome.retry(new MalformedResourceError('T', 'a', 'row T/a', ['spec: not an object'])), 0, 0, { type: 'terminal', failureClass: 'permanent', parked: 'terminal' }],
  ['an InvalidArgumentError (a call the code got wrong) is transient: a deploy fixes it, not the data', Outcome.retry(new InvalidArgumentError('bad name')), 0, 0, { type: 'retry', failureClass: 'transient', failures: 1, hold: 'backoff' }],
  ['AlreadyExistsError is a conflict: read again, at once', Outcome.retry(new AlreadyExistsError('T', 'a')), 0, 0, { type: 'retry', failureClass: 'conflict', conflicts: 1, hold: 'requeue', delay: 0 }],
  ['NotFoundError is a conflict: read again, at once', Outcome.retry(new NotFoundError('T', 'a')), 0, 0, { type: 'retry', failureClass: 'conflict', conflicts: 1, hold: 'requeue', delay: 0 }],
  ['Outcome.terminal parks', Outcome.terminal(new Error('no')), 1, 0, { type: 'terminal', failureClass: 'permanent', failures: 2, parked: 'terminal' }],
  // dependency: wait, count nothing
  ['dependency waits its own delay', Outcome.retry(new DependencyNotReadyError('db', { retryAfterMs: 2000 })), 2, 0, { type: 'waiting', failureClass: 'dependency', failures: 2, hold: 'waiting', delay: 2000 }],
  ['dependency without a delay waits the interval', Outcome.retry(new DependencyNotReadyError('db')), 0, 0, { type: 'waiting', hold: 'waiting', delay: 5000 }],
  ['dependency with a NaN delay waits the interval', Outcome.retry(new DependencyNotReadyError('db', { retryAfterMs: Number.NaN })), 0, 0, { type: 'waiting', hold: 'waiting', delay: 5000 }],
  ['dependency with a negative delay waits the interval', Outcome.retry(new DependencyNotReadyError('db', { retryAfterMs: -5 })), 0, 0, { type: 'waiting', delay: 5000 }],
  ['Outcome.waiting', Outcome.waiting('db', 700), 1, 0, { type: 'waiting', failureClass: 'dependency', failures: 1, hold: 'waiting', delay: 700 }],
];

describe('decide: the failure model as a table', () => {
  for (const [what, outcome, failures, conflicts, expected] of table) {
    it(what, () => {
      const { type, ...rest } = expected;
      const decision = decide(outcome, { failures, conflicts }, policy);
      expect(decision.outcome.type).toBe(type);
      expect(decision).toMatchObject(rest);
    });
  }

  it('a classifier that throws or answers nonsense falls back to the default classes', () => {
    const throwing: FailurePolicy = { ...policy, classify: () => { throw new Error('classifier bug'); } };
    expect(decide(Outcome.retry(new PermanentError('x')), { failures: 0, conflicts: 0 }, throwing).failureClass).toBe('permanent');
    const nonsense: FailurePolicy = { ...policy, classify: () => 'fatal' as never };
    expect(decide(Outcome.retry(new Error('x')), { failures: 0, conflicts: 0 }, nonsense).failureClass).toBe('transient');
  });

  it('a user classifier wins when it answers a class', () => {
    const classify: FailurePolicy['classify'] = (error) => (error.message === 'rate limited' ? 'dependency' : undefined);
    expect(decide(Outcome.retry(new Error('rate limited')), { failures: 0, conflicts: 0 }, { ...policy, classify })).toMatchObject({ hold: 'waiting', delay: 5000 });
  });
});

describe('Outcome.from: bad values become a failure of the key, never a NaN in the queue', () => {
  const bad: [string, unknown][] = [
    ['requeueAfter with NaN', { type: 'requeueAfter', ms: Number.NaN }],
    ['requeueAfter with a negative delay', { type: 'requeueAfter', ms: -1 }],
    ['requeueAfter with Infinity', { type: 'requeueAfter', ms: Number.POSITIVE_INFINITY }],
    ['requeueAfter without ms', { type: 'requeueAfter' }],
    ['requeueAfter with a string', { type: 'requeueAfter', ms: '5' }],
    ['waiting with NaN', { type: 'waiting', dependency: 'db', ms: Number.NaN }],
    ['waiting without a dependency', { type: 'waiting', ms: 5 }],
    ['an unknown type', { type: 'done' }],
    ['a number', 42],
    ['an object whose type getter throws', Object.defineProperty({}, 'type', { get: () => { throw new Error('getter'); } })],
  ];
  for (const [what, value] of bad) {
    it(`${what} is a transient retry with a message saying what to return`, () => {
      const outcome = Outcome.from(value);
      expect(outcome.type).toBe('retry');
      expect(outcome.type === 'retry' && outcome.error.message).toMatch(/return an Outcome built with Outcome\.converged\(\)/);
    });
  }

  it('a hand-built retry with a non-Error error keeps its class and gets the value wrapped', () => {
    const outcome = Outcome.from({ type: 'retry', error: 'down' });
    expect(outcome.type === 'retry' && outcome.error.message).toMatch(/a non-Error value was thrown \("down"\)/);
    expect(Outcome.from({ type: 'terminal', error: 7 }).type).toBe('terminal');
  });

  it('a delay above 2^31 - 1 ms is a valid outcome (timers are chained)', () => {
    expect(Outcome.from({ type: 'requeueAfter', ms: 40 * 86_400_000 })).toEqual({ type: 'requeueAfter', ms: 40 * 86_400_000 });
  });
});
