/**
 * One etcd request with a deadline, its failures turned into this library's errors. etcd3 retries a
 * recoverable failure by itself with no time limit of its own, and a request to an etcd that lost its
 * quorum can hang for seconds: every call of the adapter goes through {@link etcdCall}, whose gRPC
 * deadline bounds the request and every retry of it together.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import { ReconcileError, TransientError } from '../src/errors.js';

/** gRPC call options: the absolute deadline of a call. */
export interface CallOptions {
  readonly deadline: Date;
}

/** The gRPC options of a call that must be done within `timeoutMs` from now. */
export function deadline(scheduler: SchedulerLike, timeoutMs: number): CallOptions {
  return { deadline: new Date(scheduler.now() + timeoutMs) };
}

/** True when etcd refused the request as larger than its `--max-request-bytes`. */
export function isTooLarge(error: unknown): boolean {
  return error instanceof Error && /request is too large|larger than max|message larger/i.test(error.message);
}

/** True when etcd answered that a revision was compacted away. */
export function isCompacted(error: unknown): boolean {
  return error instanceof Error && /compacted/i.test(error.message);
}

/** gRPC status 8: the answer was larger than the client accepts (`grpc.max_receive_message_length`). */
export function isExhausted(error: unknown): boolean {
  return error instanceof Error && ((error as { code?: unknown }).code === 8 || /RESOURCE_EXHAUSTED|Received message larger/i.test(error.message));
}

/**
 * Runs `request`; a failure that is not already one of ours becomes a `TransientError` naming what
 * was asked and how long it may take (the loop retries it with backoff), with the etcd error as cause.
 */
export async function etcdCall<T>(what: string, timeoutMs: number, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof ReconcileError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TransientError(
      `etcd: ${what} failed (${message}); it had ${timeoutMs} ms. Check that etcd is reachable and has a quorum; the write or read will be tried again.`,
      { cause: error },
    );
  }
}
