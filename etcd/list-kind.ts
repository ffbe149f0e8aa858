/**
 * Reads every resource of a kind at one revision, in pages, so a large kind never needs one answer
 * larger than the client accepts (gRPC's default is 4 MiB): `listKind`.
 *
 * @module
 */
import { Range } from 'etcd3';
import type { Etcd3 } from 'etcd3';
import type { SchedulerLike } from 'rxjs';
import { MalformedResourceError } from '../src/errors.js';
import type { Logger } from '../src/ports.js';
import { keyOf } from '../src/key.js';
import { compareKeys } from '../src/store-rules.js';
import type { Resource } from '../src/types.js';
import { deadline, etcdCall, isExhausted } from './etcd-call.js';
import { decodeResource, kindPrefix, reportMalformed } from './etcd-layout.js';

/** What {@link listKind} needs. */
export interface ListContext {
  readonly client: Etcd3;
  readonly scheduler: SchedulerLike;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** One listed resource and the etcd key it was read from. */
export interface ListedResource {
  readonly path: string;
  readonly resource: Resource;
}

/** A consistent list: every resource of the kind at `revision`, ordered by key. */
export interface KindList {
  readonly entries: readonly ListedResource[];
  readonly revision: number;
}

/** First page size; halved while answers are too large for the client, down to one key. */
const PAGE = 500;

/**
 * Every resource of `kind` in the store at `storePrefix`, read page by page at the revision of the
 * first page, so the list is one consistent snapshot. Values that are not resources of their key are
 * skipped with a warning (`Malformed resource skipped`, with the `MalformedResourceError`). Fails with
 * a `TransientError` when etcd does not answer in time.
 */
export async function listKind(context: ListContext, storePrefix: string, kind: string): Promise<KindList> {
  const { client, scheduler, timeoutMs, logger } = context;
  const prefix = kindPrefix(storePrefix, kind);
  const end = Range.prefix(prefix).end;
  let start: Buffer = Buffer.from(prefix);
  let limit = PAGE;
  let revision: number | undefined;
  const entries: ListedResource[] = [];
  for (;;) {
    let builder = client.getAll().inRange({ start, end }).limit(limit).options(deadline(scheduler, timeoutMs));
    if (revision !== undefined) builder = builder.revision(revision);
    const page = await etcdCall(`list ${prefix}`, timeoutMs, () => builder.exec()).catch((error: unknown) => {
      if (limit > 1 && isExhausted((error as { cause?: unknown }).cause)) return undefined;
      throw error;
    });
    if (page === undefined) {
      limit = Math.ceil(limit / 2);
      continue;
    }
    revision ??= Number(page.header.revision);
    for (const kv of page.kvs) {
      const resource = decodeResource(kv, storePrefix, kind);
      if (resource instanceof MalformedResourceError) reportMalformed(logger, resource);
      else entries.push({ path: kv.key.toString('utf8'), resource });
    }
    const last = page.kvs[page.kvs.length - 1];
    if (!page.more || last === undefined) break;
    start = Buffer.concat([last.key, Buffer.from([0])]);
  }
  return { entries: entries.sort((a, b) => compareKeys(keyOf(a.resource), keyOf(b.resource))), revision };
}
