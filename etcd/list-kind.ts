/**
 * Reads every resource of a kind at one revision, in pages, so a large kind never needs one answer
 * larger than the client accepts (gRPC's default is 4 MiB): `listKind`.
 *
 * @module
 */
import { Range } from 'etcd3';
import type { Etcd3 } from 'etcd3';
import type { SchedulerLike } from 'rxjs';
import type { Logger } from '../src/ports.js';
import { keyOf } from '../src/key.js';
import { compareKeys } from '../src/store-rules.js';
import type { Resource } from '../src/types.js';
import { deadline, etcdCall, isExhausted } from './etcd-call.js';
import { decodeResource } from './etcd-layout.js';

/** What {@link listKind} needs. */
export interface ListContext {
  readonly client: Etcd3;
  readonly scheduler: SchedulerLike;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** A consistent list: every resource under `prefix` at `revision`, ordered by key. */
export interface KindList {
  readonly resources: Resource[];
  readonly revision: number;
}

/** First page size; halved while answers are too large for the client, down to one key. */
const PAGE = 500;

/**
 * Every resource under `prefix` (a kind's key prefix), read page by page at the revision of the first
 * page, so the list is one consistent snapshot. Values that are not resources are skipped with a
 * warning. Fails with a `TransientError` when etcd does not answer in time.
 */
export async function listKind(context: ListContext, prefix: string): Promise<KindList> {
  const { client, scheduler, timeoutMs, logger } = context;
  const end = Range.prefix(prefix).end;
  let start: Buffer = Buffer.from(prefix);
  let limit = PAGE;
  let revision: number | undefined;
  const resources: Resource[] = [];
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
      const resource = decodeResource(kv);
      if (resource === undefined) logger.warn({ key: kv.key.toString('utf8') }, 'Skipped a value that is not a resource');
      else resources.push(resource);
    }
    const last = page.kvs[page.kvs.length - 1];
    if (!page.more || last === undefined) break;
    start = Buffer.concat([last.key, Buffer.from([0])]);
  }
  return { resources: resources.sort((a, b) => compareKeys(keyOf(a), keyOf(b))), revision };
}
