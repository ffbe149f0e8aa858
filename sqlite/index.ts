/**
 * `rx-reconcile/sqlite`: the durable embedded desired-state store, in one SQLite file.
 *
 * - {@link createSqliteStore}: a `Store` with the memory store's rules whose acknowledged writes
 *   survive `kill -9` and power loss; watch resume by revision; writes of other processes (and of the
 *   `sqlite3` tool through the `desired` view) are seen by running watches.
 *
 * Needs the optional peer dependency `better-sqlite3` (`npm install better-sqlite3`); nothing else
 * in rx-reconcile imports it.
 *
 * @module
 */
export { createSqliteStore } from './sqlite-store.js';
export type { SqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions } from './options.js';
