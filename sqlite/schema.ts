/**
 * The layout of an rx-reconcile SQLite file, and opening one: pragmas (WAL, `synchronous`), the
 * file's identity (`application_id`) and schema version (`user_version`), and the migration that
 * creates the tables, the `desired` view and its triggers.
 *
 * ## Tables
 * - `resources(kind, key, revision, doc)`: one row per stored resource. `key` is `name` or
 *   `namespace/name`; `doc` is the resource as JSON (`{ kind, metadata, spec, status? }`);
 *   `revision` is the store-wide revision of the write that made this state (the columns `kind`,
 *   `key` and `revision` win over what `doc` says).
 * - `changes(revision, kind, key, type, doc, old, old_revision)`: one row per write, `revision`
 *   increasing store-wide and never reused (`AUTOINCREMENT`). `type` is `added`, `modified` or
 *   `deleted`; `doc` is the state after the write (for `deleted`, the last state); `old` the state
 *   before a `modified`. The newest `history` rows are kept for watch resume.
 *
 * ## Writing with the `sqlite3` tool: the `desired` view
 * Writing the tables by hand would skip revisions and the change feed. Write through the view
 * `desired` instead: its `INSTEAD OF` triggers apply the store's rules (a revision per write, a
 * `changes` row, generation bumped on a spec change, finalizer-aware delete, refusal of bad JSON and
 * of metadata of the wrong shape), and a running store sees the change within its `pollInterval`.
 *
 * ```sql
 * INSERT INTO desired (kind, name, spec) VALUES ('Todo', 'buy-milk', '{"title":"buy milk","done":false}');
 * UPDATE desired SET spec = json_set(spec, '$.done', json('true')) WHERE kind = 'Todo' AND name = 'buy-milk';
 * DELETE FROM desired WHERE kind = 'Todo' AND name = 'buy-milk';
 * SELECT name, generation, json_extract(status, '$.phase') FROM desired WHERE kind = 'Todo';
 * ```
 *
 * What the view does not do: check the kind's zod schema (the store does that on its own writes; a
 * loop reports a bad spec on the resource's status), compare JSON by meaning (a spec written with its
 * keys in another order counts as changed), or compare-and-set (add `AND revision = N` to an UPDATE
 * yourself).
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import { InvalidArgumentError } from '../src/errors.js';

/** `PRAGMA application_id` of an rx-reconcile file ("rxRc"). */
export const APPLICATION_ID = 0x72785263;
/**
 * `PRAGMA user_version`: the layout version this code writes. Version 2 (2026-11-24): the view's
 * triggers accept an owner reference's `uid` (as `ownerReferenceOf` writes it) and refuse numbers
 * JSON cannot carry (`1e999`).
 */
export const SCHEMA_VERSION = 2;

/** The next revision, as SQL: one more than the highest ever given (sqlite_sequence survives deletes). */
const NEXT_REVISION = "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0) + 1";
/** An ISO-8601 UTC timestamp with milliseconds, like `new Date().toISOString()`. */
const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
/** A random RFC 4122 version 4 uid. */
const UID =
  "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || " +
  "substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))";

/** Refusals of the view's triggers for the JSON columns of `row` (`NEW`). */
function fieldChecks(row: string): string {
  const raise = (message: string, when: string): string => `  SELECT RAISE(ABORT, '${message.replace(/'/g, "''")}') WHERE ${when};\n`;
  const textMap = (column: string): string =>
    raise(`desired: ${column} must be a JSON object of strings, e.g. '{"team":"core"}'`, `${row}.${column} IS NOT NULL AND (NOT json_valid(${row}.${column}) OR json_type(${row}.${column}) <> 'object')`) +
    raise(`desired: every value of ${column} must be a string`, `${row}.${column} IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(${row}.${column}) WHERE type <> 'text')`);
  return (
    raise('desired: spec must be JSON text, e.g. \'{"title":"buy milk"}\'', `${row}.spec IS NOT NULL AND NOT json_valid(${row}.spec)`) +
    raise('desired: status must be JSON text (or NULL for none)', `${row}.status IS NOT NULL AND NOT json_valid(${row}.status)`) +
    textMap('labels') +
    textMap('annotations') +
    raise(
      `desired: finalizers must be a JSON array of non-empty strings, e.g. '["example.com/cleanup"]'`,
      `${row}.finalizers IS NOT NULL AND (NOT json_valid(${row}.finalizers) OR json_type(${row}.finalizers) <> 'array')`,
    ) +
    raise(
      'desired: every finalizer must be a non-empty string',
      `${row}.finalizers IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(${row}.finalizers) WHERE type <> 'text' OR value = '')`,
    ) +
    raise(
      'desired: spec and status must not hold numbers too large for JSON (such as 1e999)',
      `EXISTS (SELECT 1 FROM json_tree(coalesce(${row}.spec, '{}')) WHERE type = 'real' AND abs(atom) > 1.7976931348623157e308)
        OR EXISTS (SELECT 1 FROM json_tree(coalesce(${row}.status, '{}')) WHERE type = 'real' AND abs(atom) > 1.7976931348623157e308)`,
    ) +
    raise(
      `desired: owner_references must be a JSON array of {"kind","name","namespace"?,"uid"?,"controller"?} objects`,
      `${row}.owner_references IS NOT NULL AND (NOT json_valid(${row}.owner_references) OR json_type(${row}.owner_references) <> 'array')`,
    ) +
    raise(
      'desired: every owner reference needs a non-empty text kind and name (without "/"), an optional text namespace, an optional text uid and an optional boolean controller, and nothing else',
      `${row}.owner_references IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(${row}.owner_references) AS o WHERE o.type <> 'object'
        OR json_type(o.value, '$.kind') IS NOT 'text' OR json_extract(o.value, '$.kind') = ''
        OR json_type(o.value, '$.name') IS NOT 'text' OR json_extract(o.value, '$.name') = '' OR instr(json_extract(o.value, '$.name'), '/') > 0
        OR coalesce(json_type(o.value, '$.namespace'), 'text') <> 'text'
        OR coalesce(json_type(o.value, '$.uid'), 'text') <> 'text'
        OR coalesce(json_type(o.value, '$.controller'), 'true') NOT IN ('true', 'false')
        OR EXISTS (SELECT 1 FROM json_each(o.value) AS f WHERE f.key NOT IN ('kind', 'name', 'namespace', 'uid', 'controller')))`,
    )
  );
}

/** The key of `NEW`: `name`, or `namespace/name`. */
const NEW_KEY = "CASE WHEN coalesce(NEW.namespace, '') = '' THEN NEW.name ELSE NEW.namespace || '/' || NEW.name END";

/** After a trigger's `changes` insert: bring the `resources` row in line with it. */
const APPLY_LAST_CHANGE = `
  UPDATE resources SET doc = (SELECT doc FROM changes WHERE revision = last_insert_rowid()), revision = last_insert_rowid()
    WHERE kind = OLD.kind AND key = OLD.key AND revision = OLD.revision
      AND EXISTS (SELECT 1 FROM changes WHERE revision = last_insert_rowid() AND kind = OLD.kind AND key = OLD.key AND type = 'modified' AND revision > OLD.revision);
  DELETE FROM resources
    WHERE kind = OLD.kind AND key = OLD.key
      AND EXISTS (SELECT 1 FROM changes WHERE revision = last_insert_rowid() AND kind = OLD.kind AND key = OLD.key AND type = 'deleted' AND revision > OLD.revision);
`;

/** The statements that make a new file's layout (version {@link SCHEMA_VERSION}), in order. */
export const SCHEMA: readonly string[] = [
  `CREATE TABLE resources (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    revision INTEGER NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (kind, key)
  )`,
  `CREATE TABLE changes (
    revision INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('added', 'modified', 'deleted')),
    doc TEXT NOT NULL,
    old TEXT,
    old_revision INTEGER
  )`,
  `CREATE VIEW desired AS SELECT
    kind,
    json_extract(doc, '$.metadata.namespace') AS namespace,
    json_extract(doc, '$.metadata.name') AS name,
    key,
    revision,
    json_extract(doc, '$.metadata.generation') AS generation,
    json_quote(json_extract(doc, '$.spec')) AS spec,
    CASE WHEN json_type(doc, '$.status') IS NULL THEN NULL ELSE json_quote(json_extract(doc, '$.status')) END AS status,
    json_quote(json_extract(doc, '$.metadata.labels')) AS labels,
    json_quote(json_extract(doc, '$.metadata.annotations')) AS annotations,
    json_quote(json_extract(doc, '$.metadata.finalizers')) AS finalizers,
    json_quote(json_extract(doc, '$.metadata.ownerReferences')) AS owner_references,
    json_extract(doc, '$.metadata.deletionTimestamp') AS deletion_timestamp
  FROM resources`,
  `CREATE TRIGGER desired_insert INSTEAD OF INSERT ON desired
  BEGIN
  SELECT RAISE(ABORT, 'desired: kind must be a non-empty text, e.g. ''Todo''') WHERE typeof(NEW.kind) <> 'text' OR NEW.kind = '';
  SELECT RAISE(ABORT, 'desired: name must be a non-empty text without "/"') WHERE typeof(NEW.name) <> 'text' OR NEW.name = '' OR instr(NEW.name, '/') > 0;
  SELECT RAISE(ABORT, 'desired: namespace must be a text without "/", or NULL') WHERE NEW.namespace IS NOT NULL AND (typeof(NEW.namespace) <> 'text' OR instr(NEW.namespace, '/') > 0);
  SELECT RAISE(ABORT, 'desired: key, revision, generation and deletion_timestamp are set by the store: leave them out')
    WHERE (NEW.key IS NOT NULL AND NEW.key IS NOT ${NEW_KEY}) OR NEW.revision IS NOT NULL OR NEW.generation IS NOT NULL OR NEW.deletion_timestamp IS NOT NULL;
${fieldChecks('NEW')}
  SELECT RAISE(ABORT, 'desired: this resource already exists: UPDATE desired to change it') WHERE EXISTS (SELECT 1 FROM resources WHERE kind = NEW.kind AND key = ${NEW_KEY});
  INSERT INTO changes (revision, kind, key, type, doc)
    SELECT r, NEW.kind, k, 'added', CASE WHEN NEW.status IS NULL THEN d ELSE json_set(d, '$.status', json(NEW.status)) END
    FROM (SELECT r, k, json_object(
        'kind', NEW.kind,
        'metadata', json_object(
          'name', NEW.name, 'version', CAST(r AS TEXT), 'revision', r, 'generation', 1, 'uid', ${UID}, 'creationTimestamp', ${NOW},
          'labels', json(coalesce(NEW.labels, '{}')), 'annotations', json(coalesce(NEW.annotations, '{}')),
          'finalizers', json(coalesce(NEW.finalizers, '[]')), 'ownerReferences', json(coalesce(NEW.owner_references, '[]'))),
        'spec', json(coalesce(NEW.spec, '{}'))) AS d
      FROM (SELECT ${NEXT_REVISION} AS r, ${NEW_KEY} AS k));
  UPDATE changes SET doc = json_set(doc, '$.metadata.namespace', NEW.namespace) WHERE revision = last_insert_rowid() AND coalesce(NEW.namespace, '') <> '';
  INSERT INTO resources (kind, key, revision, doc) SELECT kind, key, revision, doc FROM changes WHERE revision = last_insert_rowid();
  END`,
  `CREATE TRIGGER desired_update INSTEAD OF UPDATE ON desired
  BEGIN
  SELECT RAISE(ABORT, 'desired: kind, namespace, name and key cannot change: INSERT the new resource and DELETE this one')
    WHERE NEW.kind IS NOT OLD.kind OR NEW.namespace IS NOT OLD.namespace OR NEW.name IS NOT OLD.name OR NEW.key IS NOT OLD.key;
  SELECT RAISE(ABORT, 'desired: revision, generation and deletion_timestamp are set by the store (DELETE marks a resource for deletion)')
    WHERE NEW.revision IS NOT OLD.revision OR NEW.generation IS NOT OLD.generation OR NEW.deletion_timestamp IS NOT OLD.deletion_timestamp;
${fieldChecks('NEW')}
  SELECT RAISE(ABORT, 'desired: this resource is being deleted: finalizers can only be removed now')
    WHERE OLD.deletion_timestamp IS NOT NULL
      AND EXISTS (SELECT 1 FROM json_each(coalesce(NEW.finalizers, '[]')) AS f WHERE f.value NOT IN (SELECT value FROM json_each(OLD.finalizers)));
  INSERT INTO changes (revision, kind, key, type, doc, old, old_revision)
    SELECT r, OLD.kind, OLD.key,
      CASE WHEN OLD.deletion_timestamp IS NOT NULL AND json_array_length(fin) = 0 THEN 'deleted' ELSE 'modified' END,
      json_set(CASE WHEN st IS NULL THEN json_remove(doc, '$.status') ELSE json_set(doc, '$.status', json(st)) END,
        '$.spec', json(sp), '$.metadata.labels', json(lab), '$.metadata.annotations', json(ann),
        '$.metadata.finalizers', json(fin), '$.metadata.ownerReferences', json(own),
        '$.metadata.generation', OLD.generation + (json(sp) IS NOT json(OLD.spec)),
        '$.metadata.revision', r, '$.metadata.version', CAST(r AS TEXT)),
      CASE WHEN OLD.deletion_timestamp IS NOT NULL AND json_array_length(fin) = 0 THEN NULL ELSE doc END,
      CASE WHEN OLD.deletion_timestamp IS NOT NULL AND json_array_length(fin) = 0 THEN NULL ELSE OLD.revision END
    FROM (SELECT ${NEXT_REVISION} AS r, coalesce(NEW.spec, '{}') AS sp, NEW.status AS st,
        coalesce(NEW.labels, '{}') AS lab, coalesce(NEW.annotations, '{}') AS ann,
        coalesce(NEW.finalizers, '[]') AS fin, coalesce(NEW.owner_references, '[]') AS own,
        (SELECT doc FROM resources WHERE kind = OLD.kind AND key = OLD.key) AS doc)
    WHERE json(sp) IS NOT json(OLD.spec) OR json(st) IS NOT json(OLD.status) OR json(lab) IS NOT json(OLD.labels)
      OR json(ann) IS NOT json(OLD.annotations) OR json(fin) IS NOT json(OLD.finalizers) OR json(own) IS NOT json(OLD.owner_references);
${APPLY_LAST_CHANGE}
  END`,
  `CREATE TRIGGER desired_delete INSTEAD OF DELETE ON desired
  BEGIN
  INSERT INTO changes (revision, kind, key, type, doc, old, old_revision)
    SELECT r, OLD.kind, OLD.key,
      CASE WHEN json_array_length(OLD.finalizers) = 0 THEN 'deleted' ELSE 'modified' END,
      CASE WHEN json_array_length(OLD.finalizers) = 0
        THEN json_set(doc, '$.metadata.revision', r, '$.metadata.version', CAST(r AS TEXT))
        ELSE json_set(doc, '$.metadata.revision', r, '$.metadata.version', CAST(r AS TEXT), '$.metadata.deletionTimestamp', ${NOW}) END,
      CASE WHEN json_array_length(OLD.finalizers) = 0 THEN NULL ELSE doc END,
      CASE WHEN json_array_length(OLD.finalizers) = 0 THEN NULL ELSE OLD.revision END
    FROM (SELECT ${NEXT_REVISION} AS r, (SELECT doc FROM resources WHERE kind = OLD.kind AND key = OLD.key) AS doc)
    WHERE NOT (json_array_length(OLD.finalizers) > 0 AND OLD.deletion_timestamp IS NOT NULL);
${APPLY_LAST_CHANGE}
  END`,
];

/** The view's triggers as {@link SCHEMA} makes them (a migration replaces older ones with these). */
const TRIGGERS: readonly string[] = SCHEMA.filter((statement) => statement.startsWith('CREATE TRIGGER'));

/** What brings a file of layout version `n - 1` to `n`, by `n`. */
const MIGRATIONS: Readonly<Record<number, readonly string[]>> = {
  2: ['DROP TRIGGER desired_insert', 'DROP TRIGGER desired_update', 'DROP TRIGGER desired_delete', ...TRIGGERS],
};

/** What opening needs from the options. */
export interface OpenOptions {
  readonly path: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly busyTimeout: number;
}

/**
 * Opens (creating when new) an rx-reconcile SQLite file: WAL, the `synchronous` level, the busy
 * timeout, and the layout migrated to {@link SCHEMA_VERSION}. Refuses, before changing anything in
 * it, a file that belongs to another program or was written by a newer version of this library; and
 * says what is wrong (with the path) when the file cannot be opened, read or locked.
 */
export function openDatabase(Database: typeof BetterSqlite3, options: OpenOptions): BetterSqlite3.Database {
  const { path } = options;
  let db: BetterSqlite3.Database;
  try {
    db = new Database(path, { timeout: options.busyTimeout });
  } catch (error) {
    throw openFailure(path, options.busyTimeout, error);
  }
  try {
    // Read-only first: whose file is it? Nothing is written to a file that is not ours.
    const found = identify(db, path);
    if (path !== ':memory:') {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new InvalidArgumentError(`createSqliteStore: ${path} cannot use WAL mode (got ${String(mode)}); put it on a local disk.`);
    }
    db.pragma(`synchronous = ${options.synchronous}`);
    // Only a new or older file takes the write lock (an up-to-date one opens beside a busy writer).
    if (found !== SCHEMA_VERSION) migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    throw error instanceof InvalidArgumentError ? error : openFailure(path, options.busyTimeout, error);
  }
}

/**
 * The layout version of an rx-reconcile file (0: a new, empty file). Throws when the file belongs
 * to someone else, is newer than this code, or is ours but lost its tables.
 */
function identify(db: BetterSqlite3.Database, path: string): number {
  const application = Number(db.pragma('application_id', { simple: true }));
  const version = Number(db.pragma('user_version', { simple: true }));
  const names = new Set(db.prepare("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").pluck().all() as string[]);
  if (application !== APPLICATION_ID) {
    if (application !== 0 || version !== 0 || names.size > 0) {
      const signs = [
        ...(names.size > 0 ? [`tables of its own (${[...names].slice(0, 3).join(', ')}${names.size > 3 ? ', …' : ''})`] : []),
        ...(application !== 0 ? [`another program's application_id ${application}`] : []),
        ...(version !== 0 ? [`another program's user_version ${version}`] : []),
      ];
      throw new InvalidArgumentError(
        `createSqliteStore: ${path} is not an rx-reconcile store (it has ${signs.join(' and ')}); nothing in it was changed: give a new file.`,
      );
    }
    return 0;
  }
  if (version > SCHEMA_VERSION) {
    throw new InvalidArgumentError(
      `createSqliteStore: ${path} was written by a newer rx-reconcile (layout ${version}, this one knows up to ${SCHEMA_VERSION}): upgrade rx-reconcile.`,
    );
  }
  const missing = version === 0 ? [] : ['resources', 'changes', 'desired', 'desired_insert', 'desired_update', 'desired_delete'].filter((n) => !names.has(n));
  if (missing.length > 0 || (version === 0 && names.size > 0)) {
    throw new InvalidArgumentError(
      `createSqliteStore: ${path} is an rx-reconcile store whose layout is damaged (` +
        (missing.length > 0 ? `missing: ${missing.join(', ')}` : `layout version 0 with tables`) +
        '): restore it from a backup, or give a new file.',
    );
  }
  return version;
}

/** Brings a new or older file to {@link SCHEMA_VERSION}, in one write transaction (checked again inside it). */
function migrate(db: BetterSqlite3.Database, path: string): void {
  db.transaction(() => {
    const version = identify(db, path);
    if (version === 0) for (const statement of SCHEMA) db.exec(statement);
    else for (let next = version + 1; next <= SCHEMA_VERSION; next++) for (const statement of MIGRATIONS[next] ?? []) db.exec(statement);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** The SQLite result code of a driver error (`SQLITE_BUSY`, `SQLITE_NOTADB`…), `''` for anything else. */
export function driverCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

/** True for a driver error saying another connection held the file's lock past the busy timeout. */
export function lockedOut(error: unknown): boolean {
  const code = driverCode(error);
  return code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED';
}

/** A driver error met while opening `path`, said with the path and what to do. */
function openFailure(path: string, busyTimeout: number, error: unknown): InvalidArgumentError {
  const code = driverCode(error);
  const text = error instanceof Error ? error.message : String(error);
  let advice: string;
  if (lockedOut(error)) {
    advice = `another connection held its lock for longer than busyTimeout (${busyTimeout} ms); is a process using this file stopped or stuck? Retry, or raise busyTimeout`;
  } else if (code === 'SQLITE_NOTADB') {
    advice = 'it is not a SQLite database; give a new file';
  } else if (code.startsWith('SQLITE_READONLY')) {
    advice = 'the file or its folder is read-only; SQLite writes the file and its -wal and -shm files beside it, so give a writable folder';
  } else if (code.startsWith('SQLITE_CANTOPEN') || /directory does not exist/i.test(text)) {
    advice = 'check that the path names a file (not a folder) in a folder that exists and that this process can write';
  } else if (code === 'SQLITE_CORRUPT') {
    advice = 'the file is damaged; restore it from a backup, or give a new file';
  } else {
    advice = 'see the cause';
  }
  return new InvalidArgumentError(`createSqliteStore: cannot open ${path}: ${text}${code === '' ? '' : ` (${code})`}; ${advice}.`, { cause: error });
}
