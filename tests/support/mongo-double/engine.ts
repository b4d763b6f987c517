/**
 * The command engine of the MongoDB test double: in-memory databases and collections, one handler per
 * supported command, query/update/aggregation evaluation by mingo. Text indexes and `$text` (matching, scores,
 * `{ $meta: 'textScore' }`) follow MongoDB's own algorithms, in text.ts; `$text` is evaluated here, the rest of
 * the filter and the pipeline by mingo, with the score on a hidden field that never leaves the double.
 *
 * Every command, option or operator it does not implement is answered with ok:0 and an errmsg starting
 * "mongo-double: unsupported", and recorded in `unsupported`: the double must never silently agree to
 * something it does not do. Commands run synchronously, one at a time, so every command is atomic; a test
 * makes two writes overlap with an interleaving (`Interleave`), and makes the server fail with `Fault`.
 */
import {
  calculateObjectSize,
  type Document,
  deserialize,
  EJSON,
  Long,
  ObjectId,
  serialize,
  Timestamp,
  UUID,
} from 'bson';
import { Aggregator, Query } from 'mingo';
import { update as applyModifier } from 'mingo/updater';
import { CommandError, Unsupported, unsupported } from './errors.js';
import {
  documentLanguage,
  equalityFields,
  isTextKey,
  parseTextIndexSpec,
  parseTextQuery,
  SCORE_FIELD,
  type TextIndexSpec,
  textScore,
} from './text.js';

export { CommandError } from './errors.js';

/**
 * A server error to answer instead of running a command (`MongoDouble.failNext`), as a mongod shutting down or
 * stepping down answers before its connections drop.
 */
export interface Fault {
  /** The command name (`find`, `update`, `aggregate`, …). */
  command: string;
  /** Only commands on this collection (the command's first value). */
  collection?: string;
  /** The server error: code, codeName, errmsg and errorLabels of the ok:0 reply. */
  code?: number;
  codeName?: string;
  errmsg?: string;
  labels?: string[];
  /** Close the connection without answering (the driver sees a network error) instead of replying. */
  network?: boolean;
  /** How many matching commands it fails, default 1 (the driver retries some reads once by itself). */
  times?: number;
}

/**
 * A competing command run inside another one (`MongoDouble.interleave`): the double runs commands one at a
 * time, so two writes never overlap by themselves. `at: 'before'`: just before the matching command runs;
 * `at: 'upsert-insert'`: inside an upsert whose filter matched nothing, just before it inserts, which is the
 * window in which a server lets a concurrent insert of the same key land (the upsert then fails with E11000).
 */
export interface Interleave {
  command: string;
  collection?: string;
  at: 'before' | 'upsert-insert';
  /** The competing command document; runs on the same database unless it has its own `$db`. */
  run: Document;
  times?: number;
}

/** What the double did on its own initiative (faults answered, commands interleaved), in order. */
export interface Injected {
  kind: 'fault' | 'interleave';
  command: string;
  /** The competing command's reply, for interleavings. */
  reply?: Document;
}

/** Thrown out of `run` when a fault asks for a dropped connection; the server closes the socket. */
export class NetworkFault extends Error {}

export const WIRE_VERSION = 21; // MongoDB 7.0
const MAX_BSON = 16 * 1024 * 1024;
const DEFAULT_FIRST_BATCH = 101;

interface Index {
  name: string;
  key: Document;
  unique: boolean;
  /** Sparse: documents with none of the key's fields are left out of the index. */
  sparse: boolean;
  /** For unique indexes: key tuple (canonical EJSON) -> the document holding it. */
  entries: Map<string, Document>;
  /** For the (at most one) text index: its normalised spec; `key` is then the stored form with `_fts`/`_ftsx`. */
  text?: TextIndexSpec;
}
interface Collection {
  uuid: UUID;
  docs: Document[];
  indexes: Index[];
}
interface Cursor {
  ns: string;
  docs: Document[];
}
interface Ctx {
  db: string;
  connectionId: number;
}
type Handler = { options: string[]; run: (cmd: Document, ctx: Ctx) => Document };

/** Fields the driver adds to (nearly) every command; accepted and ignored, values checked where it matters. */
const ENVELOPE = ['$db', 'lsid', '$clusterTime', '$readPreference', 'readConcern', 'writeConcern'];
/**
 * The handshake fields driver 7.6 sends (`backpressure` announces it handles overload errors), and those of the
 * monitor's awaitable hello (`topologyVersion`, `maxAwaitTimeMS`; server.ts holds its answer back that long).
 */
const HELLO_OPTIONS = ['helloOk', 'client', 'compression', 'backpressure', 'topologyVersion', 'maxAwaitTimeMS'];
/** Session fields of retryable writes (`txnNumber`) and transactions (all three); see `MongoEngine.session`. */
const TRANSACTION_FIELDS = ['startTransaction', 'autocommit', 'txnNumber'];
/** The writes a driver retries with a `txnNumber` (retryable_writes.md: single-statement writes). */
const RETRYABLE_WRITES = ['insert', 'update', 'delete', 'findAndModify'];
/** Commands that may run inside a transaction (here: the CRUD ones). */
const IN_TRANSACTION = [...RETRYABLE_WRITES, 'find', 'getMore', 'aggregate', 'count', 'killCursors'];
/** The replica set the double announces (hello): one member, always the writable primary. */
export const REPLICA_SET = 'rs0';

/** One command as received (MongoDouble.log), for tests that check what the adapter sends. */
export interface LoggedCommand {
  name: string;
  db: string;
  command: Document;
}

/**
 * A logical session's last transaction number, as a replica set member keeps it: the answer of its retryable write
 * (a retry with the same number gets it again, without running twice) or its transaction's state and undo log.
 */
interface SessionState {
  txnNumber: number;
  reply?: Document;
  transaction?: { state: 'in progress' | 'committed' | 'aborted'; undo: (() => void)[] };
}

const clone = (doc: Document): Document => deserialize(serialize(doc));
const keyString = (values: unknown[]) => EJSON.stringify(values, { relaxed: false });
const getPath = (doc: Document, path: string): unknown =>
  path.split('.').reduce<any>((v, k) => (v && typeof v === 'object' ? v[k] : undefined), doc);
const isOperatorDoc = (u: Document) => Object.keys(u).some((k) => k.startsWith('$'));

/** How the server prints a key value in an E11000 message: { chat_id: "c1", seq: 3 }. */
function shellValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof ObjectId) return `ObjectId('${v.toHexString()}')`;
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  return typeof v === 'object' ? EJSON.stringify(v) : String(v);
}

/** Runs mingo, turning its errors (unknown operators, bad arguments) into ok:0 answers that name the problem. */
function evaluate<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CommandError) throw e;
    throw unsupported(`${what} (mingo: ${(e as Error).message})`);
  }
}

function checkSort(sort: Document | undefined): Document | undefined {
  for (const [k, v] of Object.entries(sort ?? {}))
    if (v !== 1 && v !== -1) throw unsupported(`sort specification { ${k}: ${EJSON.stringify(v)} }`);
  return sort && Object.keys(sort).length ? sort : undefined;
}

// ---- what the server refuses ---------------------------------------------------------------------------

/** Nesting the server stores (BSONDepth::getMaxDepthForUserStorage); each object or array is one level. */
const MAX_STORED_DEPTH = 100;
const LOGICAL = ['$or', '$and', '$nor'];

/**
 * `$or` / `$and` / `$nor` as the server parses them (expression_parser.cpp): an array (`$or must be an array`),
 * not empty (`$and/$or/$nor must be a nonempty array`), of objects (`$or/$and/$nor entries need to be full
 * objects`), all code 2 BadValue; mingo would take `$or: []` as "nothing matches" and `$and: []` as "all".
 */
function checkLogical(filter: unknown): void {
  if (!isPlainObject(filter)) return;
  for (const [k, v] of Object.entries(filter)) {
    if (LOGICAL.includes(k)) {
      if (!Array.isArray(v)) throw new CommandError(2, 'BadValue', `${k} must be an array`);
      if (v.length === 0) throw new CommandError(2, 'BadValue', '$and/$or/$nor must be a nonempty array');
      for (const entry of v) {
        if (!isPlainObject(entry))
          throw new CommandError(2, 'BadValue', '$or/$and/$nor entries need to be full objects');
        checkLogical(entry);
      }
    } else if (isPlainObject(v)) checkLogical(v); // $elemMatch, $not
  }
}

/**
 * Two update operators (or one operator twice) on one path or on a path and its prefix, e.g. `$set` and
 * `$setOnInsert` on `a`, or `$set: { a: 1, 'a.b': 2 }`: code 40 ConflictingUpdateOperators, checked when the
 * update is parsed (so whether or not a document matches or is inserted), as update_driver.cpp does.
 */
function checkUpdatePaths(u: Document): void {
  const seen: string[] = [];
  for (const [op, fields] of Object.entries(u)) {
    if (!op.startsWith('$') || !isPlainObject(fields)) continue;
    const paths = Object.keys(fields);
    if (op === '$rename') paths.push(...Object.values(fields).filter((v): v is string => typeof v === 'string'));
    for (const path of paths) {
      for (const other of seen) {
        const [short, long] = path.length <= other.length ? [path, other] : [other, path];
        if (short === long || long.startsWith(`${short}.`))
          throw new CommandError(
            40,
            'ConflictingUpdateOperators',
            `Updating the path '${path}' would create a conflict at '${short}'`,
          );
      }
      seen.push(path);
    }
  }
}

/** The nesting depth of a value: 0 for a scalar, 1 + the deepest member for an object or array. */
function depthOf(v: unknown, limit: number): number {
  if (limit < 0) return 0; // already past the limit: the caller only compares
  const members = Array.isArray(v) ? v : isPlainObject(v) ? Object.values(v) : null;
  if (!members) return 0;
  let deepest = 0;
  for (const m of members) deepest = Math.max(deepest, depthOf(m, limit - 1));
  return 1 + deepest;
}

/**
 * A document the server would not store: over 16 MiB (an insert: 2 BadValue "object to insert too large";
 * the result of an update or upsert: 10334 BSONObjectTooLarge) or nested deeper than 100 levels (15 Overflow).
 */
function checkStorable(doc: Document, how: 'insert' | 'update'): void {
  const size = calculateObjectSize(doc);
  if (size > MAX_BSON)
    throw how === 'insert'
      ? new CommandError(2, 'BadValue', `object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON}`)
      : new CommandError(10334, 'BSONObjectTooLarge', `Resulting document after update is larger than ${MAX_BSON}`);
  // The document itself is level 1 (the top-level object).
  if (depthOf(doc, MAX_STORED_DEPTH + 1) > MAX_STORED_DEPTH)
    throw new CommandError(15, 'Overflow', `Document exceeds maximum nesting depth of ${MAX_STORED_DEPTH}`);
}

function checkKeys(doc: Document, allowed: string[], where: string): void {
  for (const k of Object.keys(doc)) if (!allowed.includes(k)) throw unsupported(`option '${k}' in ${where}`);
}

// ---- $text and { $meta: 'textScore' } ----------------------------------------------------------------

const isPlainObject = (v: unknown): v is Document =>
  !!v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

function containsKey(v: unknown, key: string): boolean {
  if (Array.isArray(v)) return v.some((x) => containsKey(x, key));
  return isPlainObject(v) && Object.entries(v).some(([k, x]) => k === key || containsKey(x, key));
}

/**
 * Takes the `$text` operand out of a filter. MongoDB allows at most one `$text` ("Too many text expressions")
 * and only where it can be answered from the text index: the top level (or a top-level `$and`, which the server
 * flattens into it). `$text` in `$or` (legal there when every clause is indexed) or deeper is not implemented.
 */
function extractText(filter: Document): { found: boolean; text?: unknown; rest: Document } {
  let found = 0;
  let text: unknown;
  const strip = (f: Document): Document => {
    const out: Document = {};
    for (const [k, v] of Object.entries(f)) {
      if (k === '$text') {
        found++;
        text = v;
      } else if (k === '$and' && Array.isArray(v)) out[k] = v.map((part) => (isPlainObject(part) ? strip(part) : part));
      else out[k] = v;
    }
    return out;
  };
  const rest = strip(filter);
  if (found > 1) throw new CommandError(2, 'BadValue', 'Too many text expressions');
  if (containsKey(rest, '$text'))
    throw unsupported('$text below the top level of a filter (only the top level or a top-level $and)');
  return found ? { found: true, text, rest } : { found: false, rest: filter };
}

const isMeta = (v: unknown): v is { $meta: unknown } =>
  isPlainObject(v) && Object.keys(v).length === 1 && Object.hasOwn(v, '$meta');

/** Only `{ $meta: 'textScore' }` is implemented (no searchScore, indexKey, recordId, sortKey, geoNear…). */
function checkMeta(v: { $meta: unknown }): void {
  if (v.$meta !== 'textScore') throw unsupported(`{ $meta: ${EJSON.stringify(v.$meta)} }`);
}

/** 40218: `{ $meta: 'textScore' }` asked for where no `$text` query produced a score. */
const noTextScore = () =>
  new CommandError(40218, 'Location40218', 'query requires text score metadata, but it is not available');

/** Aggregation expressions: `{ $meta: 'textScore' }` becomes a reference to the hidden score field. */
function rewriteMeta(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rewriteMeta);
  if (isMeta(v)) {
    checkMeta(v);
    return `$${SCORE_FIELD}`;
  }
  return isPlainObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewriteMeta(x)])) : v;
}

/** A sort specification: `{ $meta: 'textScore' }` keys become a descending sort on the hidden score field. */
function rewriteSortMeta(sort: Document | undefined): { sort?: Document; meta: boolean } {
  if (!sort) return { meta: false };
  let meta = false;
  const out: Document = {};
  for (const [k, v] of Object.entries(sort)) {
    if (isMeta(v)) {
      checkMeta(v);
      out[SCORE_FIELD] = -1; // textScore sorts are always descending
      meta = true;
    } else out[k] = v;
  }
  return { sort: out, meta };
}

/** An inclusion projection keeps only what it names (computed fields count as inclusions). */
const isInclusion = (projection: Document) =>
  Object.entries(projection).some(([k, v]) => k !== '_id' && v !== 0 && v !== false);

/** Stages through which the hidden score field travels like the server's metadata (see `aggregate`). */
const SCORE_PRESERVING_STAGES = ['$match', '$addFields', '$set', '$project', '$unset', '$sort', '$limit', '$skip'];

/** Drops the hidden score field from an output document. */
function withoutScore(doc: Document): Document {
  if (!Object.hasOwn(doc, SCORE_FIELD)) return doc;
  const { [SCORE_FIELD]: _, ...rest } = doc;
  return rest;
}

export class MongoEngine {
  readonly commands: string[] = [];
  /** Every command with its fields, when asked for (`startMongoDouble({ log: true })`); else null. */
  readonly log: LoggedCommand[] | null;
  /** host:port of this member, as hello announces it (set by server.ts once it listens). */
  address = '127.0.0.1:27017';
  private readonly processId = new ObjectId();
  private readonly electionId = new ObjectId('7fffffff0000000000000001');
  private readonly sessions = new Map<string, SessionState>();
  /**
   * Called when a fault is injected: a server that shuts down or steps down answers its awaitable hellos at once
   * (its topology changed), which the driver's monitor waits for before it selects the server again.
   */
  onFault: () => void = () => {};
  /** The undo log of the transaction the running command belongs to (null outside transactions). */
  private undo: (() => void)[] | null = null;
  readonly unsupported: string[] = [];
  readonly faults: Fault[] = [];
  readonly interleavings: Interleave[] = [];
  readonly injected: Injected[] = [];
  /** The command being run (for `upsert-insert` interleavings), innermost first. */
  private readonly running: { name: string; collection: unknown; ctx: Ctx }[] = [];
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private readonly cursors = new Map<number, Cursor>();
  private nextCursorId = 1;

  constructor(
    private readonly trace = false,
    options: { log?: boolean } = {},
  ) {
    this.log = options.log ? [] : null;
  }

  /** Runs one command document and returns the reply document (ok:1 or ok:0, never throws). */
  run(cmd: Document, ctx: Ctx): Document {
    const name = Object.keys(cmd)[0] ?? '';
    this.commands.push(name);
    this.log?.push({ name, db: ctx.db, command: cmd });
    if (this.trace) console.error(`[mongo-double] ${name} ${describe(cmd, ctx.db)}`);
    const fault = take(this.faults, name, cmd[name]);
    if (fault) {
      this.injected.push({ kind: 'fault', command: name });
      this.onFault();
      if (fault.network) throw new NetworkFault(`mongo-double: injected network error on '${name}'`);
      return {
        ok: 0,
        errmsg: fault.errmsg ?? `injected ${fault.codeName ?? 'error'}`,
        code: fault.code ?? 1,
        codeName: fault.codeName ?? 'InternalError',
        ...(fault.labels?.length ? { errorLabels: fault.labels } : {}),
      };
    }
    this.interleave('before', name, cmd[name], ctx);
    this.running.unshift({ name, collection: cmd[name], ctx });
    try {
      const handler = Object.hasOwn(this.handlers, name) ? this.handlers[name] : undefined;
      if (!handler) throw unsupported(`command '${name}'`, 59, 'CommandNotFound');
      for (const k of Object.keys(cmd).slice(1))
        if (!ENVELOPE.includes(k) && !TRANSACTION_FIELDS.includes(k) && !handler.options.includes(k))
          throw unsupported(`option '${k}' in '${name}'`);
      checkEnvelope(cmd, name);
      if (!TRANSACTION_FIELDS.some((k) => k in cmd)) {
        if (name === 'commitTransaction' || name === 'abortTransaction')
          throw new CommandError(50768, 'Location50768', `'${name}' needs a txnNumber and autocommit: false`);
        return handler.run(cmd, ctx);
      }
      return this.session(name, cmd, () => handler.run(cmd, ctx));
    } catch (e) {
      const err =
        e instanceof CommandError ? e : new CommandError(1, 'InternalError', `mongo-double: ${(e as Error).message}`);
      if (err instanceof Unsupported || err.code === 1) {
        this.unsupported.push(err.message);
        console.error(`[mongo-double] ${err.message}`);
      }
      return { ok: 0, errmsg: err.message, code: err.code, codeName: err.codeName, ...err.extra };
    } finally {
      this.running.shift();
    }
  }

  /** Runs the competing commands armed for this point of `name` on `collection`. */
  private interleave(at: Interleave['at'], name: string, collection: unknown, ctx: Ctx): void {
    const hook = take(this.interleavings, name, collection, at);
    if (!hook) return;
    const reply = this.run(hook.run, { ...ctx, db: String(hook.run.$db ?? ctx.db) });
    this.injected.push({ kind: 'interleave', command: name, reply });
  }

  // ---- sessions: retryable writes and transactions ----------------------------------------------------

  /**
   * A command carrying session fields, as a replica set primary runs it.
   * - Retryable write (`txnNumber`, no `autocommit`): runs once per (lsid, txnNumber); a retry of the same number
   *   gets the first answer again without running (so a write whose answer was lost is not applied twice); an
   *   older number is 225 TransactionTooOld.
   * - Transaction (`autocommit: false`, `startTransaction: true` on its first command): its writes are applied as
   *   they come, with an undo log; `abortTransaction` (or a failing statement) undoes them, `commitTransaction`
   *   keeps them. No isolation from other sessions (commands run one at a time; nothing here interleaves two
   *   transactions), no snapshot reads: enough for a single writer to take the driver's transaction path.
   */
  private session(name: string, cmd: Document, run: () => Document): Document {
    if (!isPlainObject(cmd.lsid) || cmd.lsid.id === undefined)
      throw new CommandError(72, 'InvalidOptions', 'txnNumber may only be provided with a session (lsid)');
    if (typeof cmd.txnNumber !== 'number' && !(cmd.txnNumber instanceof Long))
      throw new CommandError(72, 'InvalidOptions', `'${name}' with autocommit or startTransaction needs a txnNumber`);
    const key = EJSON.stringify(cmd.lsid.id, { relaxed: false });
    const txnNumber = Number(cmd.txnNumber);
    const state = this.sessions.get(key);
    if (state && txnNumber < state.txnNumber)
      throw new CommandError(
        225,
        'TransactionTooOld',
        `Cannot start transaction ${txnNumber} on session ${key} because a newer transaction ${state.txnNumber} has already started`,
      );
    if (cmd.autocommit === undefined) {
      if (cmd.startTransaction !== undefined)
        throw new CommandError(72, 'InvalidOptions', 'startTransaction needs autocommit: false');
      if (!RETRYABLE_WRITES.includes(name))
        throw new CommandError(50768, 'Location50768', `txnNumber may not be provided for '${name}'`);
      if (state?.txnNumber === txnNumber && state.reply) return state.reply;
      const reply = run();
      this.sessions.set(key, { txnNumber, ...(reply.ok === 1 ? { reply } : {}) });
      return reply;
    }
    if (cmd.autocommit !== false) throw new CommandError(72, 'InvalidOptions', 'autocommit may only be false');
    let txn = state?.txnNumber === txnNumber ? state.transaction : undefined;
    if (cmd.startTransaction === true) {
      if (txn) throw new CommandError(256, 'TransactionCommitted', `transaction ${txnNumber} has already started`);
      txn = { state: 'in progress', undo: [] };
      this.sessions.set(key, { txnNumber, transaction: txn });
    } else if (cmd.startTransaction !== undefined)
      throw new CommandError(72, 'InvalidOptions', 'startTransaction may only be true');
    const noSuch = () =>
      new CommandError(251, 'NoSuchTransaction', `Transaction ${txnNumber} has been aborted.`, {
        errorLabels: ['TransientTransactionError'],
      });
    if (name === 'commitTransaction') {
      if (!txn || txn.state === 'aborted') throw noSuch();
      txn.state = 'committed';
      txn.undo = [];
      return { ok: 1 };
    }
    if (name === 'abortTransaction') {
      if (txn?.state !== 'in progress') throw noSuch();
      this.rollBack(txn);
      return { ok: 1 };
    }
    if (txn?.state !== 'in progress') throw noSuch();
    if (!IN_TRANSACTION.includes(name)) throw unsupported(`command '${name}' inside a transaction`);
    this.undo = txn.undo;
    try {
      const reply = run();
      if (reply.ok !== 1 || reply.writeErrors) this.rollBack(txn); // a failed statement aborts the transaction
      return reply;
    } finally {
      this.undo = null;
    }
  }

  private rollBack(txn: NonNullable<SessionState['transaction']>): void {
    const undo = txn.undo;
    txn.undo = [];
    txn.state = 'aborted';
    const saved = this.undo;
    this.undo = null;
    try {
      for (const step of undo.reverse()) step();
    } finally {
      this.undo = saved;
    }
  }

  // ---- storage -------------------------------------------------------------------------------------

  private database(db: string): Map<string, Collection> {
    if (!this.dbs.has(db)) this.dbs.set(db, new Map());
    return this.dbs.get(db)!;
  }

  private collection(db: string, name: string, create = true): Collection | undefined {
    const d = this.database(db);
    let c = d.get(name);
    if (!c && create) {
      c = { uuid: new UUID(), docs: [], indexes: [] };
      this.addIndex(db, name, c, { name: '_id_', key: { _id: 1 }, unique: true, sparse: false, entries: new Map() });
      d.set(name, c);
    }
    return c;
  }

  private requireCollection(db: string, name: string): Collection {
    const c = this.collection(db, name, false);
    if (!c) throw new CommandError(26, 'NamespaceNotFound', `ns does not exist: ${db}.${name}`);
    return c;
  }

  /** The index entry of `doc` (missing fields count as null), or null when a sparse index leaves it out. */
  private indexKey(index: Index, doc: Document): string | null {
    const values = Object.keys(index.key).map((k) => getPath(doc, k));
    if (index.sparse && values.every((v) => v === undefined)) return null;
    return keyString(values.map((v) => v ?? null));
  }

  /** The E11000 error for `doc` if it collides, on a unique index, with a document other than `self`. */
  private duplicate(db: string, coll: string, c: Collection, doc: Document, self?: Document): CommandError | null {
    for (const index of c.indexes) {
      if (!index.unique) continue;
      const key = this.indexKey(index, doc);
      const holder = key === null ? undefined : index.entries.get(key);
      if (holder && holder !== self) {
        const keyValue = Object.fromEntries(Object.keys(index.key).map((k) => [k, getPath(doc, k) ?? null]));
        const shown = Object.entries(keyValue)
          .map(([k, v]) => `${k}: ${shellValue(v)}`)
          .join(', ');
        return new CommandError(
          11000,
          'DuplicateKey',
          `E11000 duplicate key error collection: ${db}.${coll} index: ${index.name} dup key: { ${shown} }`,
          { keyPattern: index.key, keyValue },
        );
      }
    }
    return null;
  }

  private addIndex(db: string, coll: string, c: Collection, index: Index): void {
    if (index.text) for (const doc of c.docs) documentLanguage(index.text, doc); // 17261/17262 fail the build
    if (index.unique) {
      for (const doc of c.docs) {
        const dup = this.duplicate(db, coll, { ...c, indexes: [index] }, doc);
        if (dup) throw dup;
        const key = this.indexKey(index, doc);
        if (key !== null) index.entries.set(key, doc);
      }
    }
    c.indexes.push(index);
  }

  /**
   * Creates the text index of a collection (a no-op when the same one exists). Conflicts as in
   * IndexCatalogImpl::_doesSpecConflictWithExisting (index_catalog_impl.cpp): same name, other key → 86; same
   * name and key, other options → 85; same key and options, other name → 85; and a collection has at most one
   * text index → 67 CannotCreateIndex "only one text index per collection allowed, found existing text index".
   * Keys compare in the stored form, so `{ a: 1, x: 'text' }` and `{ a: 1, y: 'text' }` are the same key.
   */
  private createTextIndex(db: string, coll: string, c: Collection, spec: Document): void {
    checkKeys(
      spec,
      ['key', 'name', 'background', 'v', 'weights', 'default_language', 'language_override', 'textIndexVersion'],
      'createIndexes.indexes (text index)',
    );
    const text = parseTextIndexSpec(spec);
    const options = (t: TextIndexSpec) =>
      EJSON.stringify([t.weights, t.default_language, t.language_override, t.textIndexVersion]);
    const describeText = (name: string, t: TextIndexSpec) =>
      EJSON.stringify({
        key: t.key,
        name,
        weights: t.weights,
        default_language: t.default_language,
        language_override: t.language_override,
        textIndexVersion: t.textIndexVersion,
      });
    const same = c.indexes.find((i) => i.name === spec.name);
    if (same) {
      if (!keyEquals(same.key, text.key))
        throw new CommandError(
          86,
          'IndexKeySpecsConflict',
          `An existing index has the same name as the requested index. Requested index: ${describeText(spec.name, text)}, existing index: ${EJSON.stringify({ key: same.key, name: same.name })}`,
        );
      if (same.text && options(same.text) === options(text)) return;
      throw new CommandError(
        85,
        'IndexOptionsConflict',
        `An equivalent index already exists with the same name but different options. Requested index: ${describeText(spec.name, text)}, existing index: ${same.text ? describeText(same.name, same.text) : EJSON.stringify({ key: same.key, name: same.name })}`,
      );
    }
    const existing = c.indexes.find((i) => i.text);
    if (existing?.text && keyEquals(existing.key, text.key) && options(existing.text) === options(text))
      throw new CommandError(
        85,
        'IndexOptionsConflict',
        `Index already exists with a different name: ${existing.name}`,
      );
    if (existing)
      throw new CommandError(
        67,
        'CannotCreateIndex',
        `only one text index per collection allowed, found existing text index "${existing.name}"`,
      );
    this.addIndex(db, coll, c, {
      name: spec.name,
      key: text.key,
      unique: false,
      sparse: false,
      entries: new Map(),
      text,
    });
  }

  private indexDoc(c: Collection, doc: Document): void {
    for (const index of c.indexes) {
      const key = index.unique ? this.indexKey(index, doc) : null;
      if (key !== null) index.entries.set(key, doc);
    }
  }

  private unindexDoc(c: Collection, doc: Document): void {
    for (const index of c.indexes) {
      const key = index.unique ? this.indexKey(index, doc) : null;
      if (key !== null) index.entries.delete(key);
    }
  }

  /**
   * A document a text index cannot take: its language-override field (default `language`) is not a string
   * (17261) or not a language MongoDB knows (17262, "language override unsupported: python"). The server checks
   * it for every document written to a collection with a text index, whether or not it has text.
   */
  private checkTextLanguage(c: Collection, doc: Document): void {
    const text = c.indexes.find((i) => i.text)?.text;
    if (text) documentLanguage(text, doc);
  }

  private insertDoc(db: string, coll: string, c: Collection, doc: Document, how: 'insert' | 'update'): void {
    checkStorable(doc, how);
    const dup = this.duplicate(db, coll, c, doc);
    if (dup) throw dup;
    this.checkTextLanguage(c, doc);
    this.indexDoc(c, doc);
    c.docs.push(doc);
    this.undo?.push(() => this.removeDoc(c, doc));
  }

  private replaceDoc(db: string, coll: string, c: Collection, old: Document, next: Document): void {
    if (!keyEquals(old._id, next._id))
      throw new CommandError(
        66,
        'ImmutableField',
        `Performing an update on the path '_id' would modify the immutable field '_id'`,
      );
    checkStorable(next, 'update');
    const dup = this.duplicate(db, coll, c, next, old);
    if (dup) throw dup;
    this.checkTextLanguage(c, next);
    this.unindexDoc(c, old);
    this.indexDoc(c, next);
    c.docs[c.docs.indexOf(old)] = next;
    this.undo?.push(() => {
      this.unindexDoc(c, next);
      this.indexDoc(c, old);
      c.docs[c.docs.indexOf(next)] = old;
    });
  }

  private removeDoc(c: Collection, doc: Document): void {
    this.unindexDoc(c, doc);
    c.docs.splice(c.docs.indexOf(doc), 1);
    this.undo?.push(() => {
      this.indexDoc(c, doc);
      c.docs.push(doc);
    });
  }

  /**
   * Evaluates the `$text` part of a filter (see text.ts for the semantics) and returns the documents it matches
   * (the stored objects, in collection order) with their scores, and the rest of the filter for mingo. Without
   * `$text`: every document, `scores` null. Errors like the server's: no collection or no text index → 27
   * IndexNotFound; a compound text index without an equality predicate on each prefix field → 291
   * NoQueryExecutionPlans (query_planner.cpp, "failed to use text index to satisfy $text query …").
   */
  private textSearch(ns: string, c: Collection | undefined, filter: Document = {}) {
    checkLogical(filter);
    const { found, text, rest } = extractText(filter);
    if (!found) return { docs: c?.docs ?? [], scores: null, rest };
    if (!c)
      throw new CommandError(27, 'IndexNotFound', `text index required for $text query (no such collection '${ns}')`);
    const index = c.indexes.find((i) => i.text)?.text;
    if (!index) throw new CommandError(27, 'IndexNotFound', 'text index required for $text query');
    const query = parseTextQuery(text, index);
    const equalities = equalityFields(rest);
    if (!index.prefix.every((field) => equalities.has(field)))
      throw new CommandError(
        291,
        'NoQueryExecutionPlans',
        `error processing query: ns=${ns} planner returned error :: caused by :: failed to use text index to satisfy $text query (if text index is compound, are equality predicates given for all prefix fields?)`,
      );
    // Score only the documents the rest of the filter keeps, as the server only reads the index entries under
    // the prefix values (a document of another account is never tokenized, whatever its language).
    const candidates = evaluate('query', () => new Query(rest).find<Document>(c.docs).all());
    const docs: Document[] = [];
    const scores = new Map<Document, number>();
    for (const doc of candidates) {
      const score = textScore(query, index, doc);
      if (score === null) continue;
      docs.push(doc);
      scores.set(doc, score);
    }
    return { docs, scores, rest };
  }

  /** A filtered, sorted, projected cursor over the stored documents (the objects themselves when not projected). */
  private query(ns: string, c: Collection | undefined, filter?: Document, sort?: Document, projection?: Document) {
    const { docs, rest } = this.textSearch(ns, c, filter);
    return evaluate('query', () => {
      let cursor = new Query(rest).find<Document>(docs, projection ?? {});
      const s = checkSort(sort);
      if (s) cursor = cursor.sort(s);
      return cursor;
    });
  }

  /**
   * `find`: like `query`, plus `{ $meta: 'textScore' }` in the projection (the score under that name, whatever
   * else the projection includes or excludes) and in the sort (descending score). The score rides on a hidden
   * field through mingo and is removed from the output.
   */
  private findDocs(ns: string, c: Collection | undefined, cmd: Document): Document[] {
    const { docs, scores, rest } = this.textSearch(ns, c, cmd.filter);
    const { sort, meta: sortMeta } = rewriteSortMeta(cmd.sort);
    const metaFields: string[] = [];
    let projection: Document | undefined;
    if (cmd.projection) {
      projection = {};
      for (const [k, v] of Object.entries(cmd.projection as Document)) {
        if (!isMeta(v)) projection[k] = v;
        else {
          checkMeta(v);
          if (k.includes('.')) throw unsupported(`{ $meta: 'textScore' } on a dotted projection field '${k}'`);
          metaFields.push(k);
        }
      }
    }
    const needScore = sortMeta || metaFields.length > 0;
    if (needScore && !scores) throw noTextScore();
    const source = needScore ? docs.map((d) => ({ ...d, [SCORE_FIELD]: scores!.get(d) })) : docs;
    if (needScore && projection && isInclusion(projection)) projection[SCORE_FIELD] = 1;
    const out = evaluate('query', () => {
      const cursor = new Query(rest).find<Document>(source, projection ?? {});
      const s = checkSort(sort);
      if (s) cursor.sort(s);
      if (cmd.skip) cursor.skip(cmd.skip);
      if (cmd.limit) cursor.limit(Math.abs(cmd.limit));
      return cursor.all();
    });
    if (!needScore) return out;
    return out.map((doc) => {
      const score = doc[SCORE_FIELD];
      const result = withoutScore(doc);
      for (const field of metaFields) result[field] = score;
      return result;
    });
  }

  /**
   * `$text` in an aggregation: only in a `$match` that is the first stage (17313 otherwise). The documents it
   * matches enter the pipeline with their score on the hidden field, which `{ $meta: 'textScore' }` in later
   * stages reads (40218 when there is no `$text`). The server keeps the score as metadata that survives any
   * `$project`; here it rides through the stages in SCORE_PRESERVING_STAGES (an inclusion `$project` keeps the
   * hidden field), and is dropped before any other stage: asking for it after one is unsupported.
   */
  private textPipeline(ns: string, c: Collection | undefined, cmd: Document) {
    const stages = cmd.pipeline as Document[];
    const [first, ...later] = stages;
    stages.forEach((stage, i) => {
      if (i === 0 || !containsKey(stage, '$text')) return;
      if (Object.keys(stage)[0] === '$match')
        throw new CommandError(17313, 'Location17313', '$match with $text is only allowed as the first pipeline stage');
      throw unsupported(`$text inside aggregation stage '${Object.keys(stage)[0]}'`);
    });
    if (!first || !isPlainObject(first.$match) || !containsKey(first.$match, '$text')) {
      for (const stage of stages)
        if (containsKey(stage, '$meta')) {
          rewriteMeta(stage); // refuses $meta kinds other than textScore
          throw noTextScore();
        }
      return { source: c?.docs ?? [], pipeline: stages, scored: false };
    }
    const { docs, scores, rest } = this.textSearch(ns, c, first.$match);
    const source = docs.map((d) => ({ ...d, [SCORE_FIELD]: scores!.get(d) }));
    const pipeline: Document[] = [];
    let droppedBefore: string | undefined;
    for (const stage of [{ $match: rest }, ...later]) {
      const op = Object.keys(stage)[0] ?? '';
      if (!droppedBefore && !SCORE_PRESERVING_STAGES.includes(op)) {
        pipeline.push({ $unset: SCORE_FIELD });
        droppedBefore = op;
      }
      if (droppedBefore) {
        if (containsKey(stage, '$meta'))
          throw unsupported(
            `{ $meta: 'textScore' } after aggregation stage '${droppedBefore}' (the double keeps the score only through ${SCORE_PRESERVING_STAGES.join(', ')})`,
          );
        pipeline.push(stage);
      } else if (op === '$sort') pipeline.push({ $sort: rewriteSortMeta(stage.$sort).sort });
      else if (op === '$project') {
        const projection = rewriteMeta(stage.$project) as Document;
        if (isPlainObject(projection) && isInclusion(projection)) projection[SCORE_FIELD] = 1;
        pipeline.push({ $project: projection });
      } else pipeline.push(rewriteMeta(stage) as Document);
    }
    return { source, pipeline, scored: true };
  }

  // ---- cursors -------------------------------------------------------------------------------------

  /**
   * A cursor reply: the first `limit` documents (but at most ~16 MiB, like the server), the rest kept for
   * getMore under `id` (a new id, or the getMore's own).
   */
  private batch(ns: string, docs: Document[], limit: number, field: 'firstBatch' | 'nextBatch', keep = true, id = 0) {
    let bytes = 0;
    let n = 0;
    for (; n < Math.min(limit, docs.length); n++) {
      bytes += calculateObjectSize(docs[n]!);
      if (n > 0 && bytes > MAX_BSON) break;
    }
    const open = n < docs.length && keep;
    const cursorId = open ? id || this.nextCursorId++ : 0;
    if (open) this.cursors.set(cursorId, { ns, docs: docs.slice(n) });
    return { cursor: { [field]: docs.slice(0, n), id: Long.fromNumber(cursorId), ns }, ok: 1 };
  }

  /** A first batch: batchSize documents (0 allowed), 101 by default. */
  private firstBatch(ns: string, docs: Document[], batchSize: number | undefined, keep = true) {
    return this.batch(ns, docs, batchSize ?? DEFAULT_FIRST_BATCH, 'firstBatch', keep);
  }

  // ---- writes --------------------------------------------------------------------------------------

  /** Applies an update (operators or replacement) to a copy of `doc`; `inserting` enables $setOnInsert. */
  private applyUpdate(doc: Document, u: Document | Document[], inserting: boolean): Document {
    if (Array.isArray(u)) throw unsupported('pipeline-style update');
    if (!isOperatorDoc(u)) {
      const { _id, ...rest } = u; // a replacement keeps the _id (changing it fails in replaceDoc)
      return { _id: _id ?? doc._id, ...rest };
    }
    const next = clone(doc);
    const { $setOnInsert, ...modifier } = u;
    if (inserting && $setOnInsert) modifier.$set = { ...$setOnInsert, ...modifier.$set };
    if (Object.keys(modifier).length)
      evaluate('update', () => applyModifier(next, modifier, undefined, undefined, { cloneMode: 'deep' }));
    return next;
  }

  /** The document an upsert starts from: the equality conditions of the filter. */
  private upsertSeed(q: Document): Document {
    const seed: Document = {};
    const collect = (f: Document) => {
      for (const [k, v] of Object.entries(f)) {
        if (k === '$and') for (const part of v as Document[]) collect(part);
        else if (k.startsWith('$')) continue;
        else if (v && typeof v === 'object' && !(v instanceof Date) && isOperatorDoc(v)) {
          if ('$eq' in v) seed[k] = v.$eq;
        } else seed[k] = v;
      }
    };
    collect(q);
    const doc: Document = {};
    if (Object.keys(seed).length) evaluate('update', () => applyModifier(doc, { $set: seed }));
    return doc;
  }

  /** Inserts a new document built from an upsert; returns it. */
  private upsert(db: string, coll: string, c: Collection, q: Document, u: Document): Document {
    const current = this.running[0];
    if (current) this.interleave('upsert-insert', current.name, current.collection, current.ctx);
    const seed = this.upsertSeed(q);
    const built = this.applyUpdate(seed, u, true);
    const { _id, ...rest } = built;
    const doc = { _id: _id ?? new ObjectId(), ...rest };
    this.insertDoc(db, coll, c, doc, 'update');
    return doc;
  }

  /** Runs write statements in order; collects write errors (stopping at the first one when ordered). */
  private writeLoop<T>(items: T[], ordered: boolean | undefined, each: (item: T, i: number) => void): Document {
    const writeErrors: Document[] = [];
    for (const [i, item] of items.entries()) {
      try {
        each(item, i);
      } catch (e) {
        if (!(e instanceof CommandError) || e instanceof Unsupported) throw e;
        writeErrors.push({ index: i, code: e.code, errmsg: e.message, ...e.extra });
        if (ordered !== false) break;
      }
    }
    return writeErrors.length ? { writeErrors } : {};
  }

  // ---- command handlers ----------------------------------------------------------------------------

  /**
   * The handshake of a one-member replica set's primary (as `mongod --replSet rs0` answers once elected), so the
   * driver discovers a replica set and takes production's paths: retryable writes (txnNumber), sessions,
   * transactions, the streaming monitor (topologyVersion; server.ts holds an awaitable hello back).
   */
  private hello(legacy: boolean, connectionId: number): Document {
    const now = new Date();
    const opTime = { ts: new Timestamp({ t: Math.floor(now.getTime() / 1000), i: 1 }), t: Long.fromNumber(1) };
    return {
      topologyVersion: { processId: this.processId, counter: Long.fromNumber(0) },
      hosts: [this.address],
      setName: REPLICA_SET,
      setVersion: 1,
      ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
      secondary: false,
      primary: this.address,
      me: this.address,
      electionId: this.electionId,
      lastWrite: { opTime, lastWriteDate: now, majorityOpTime: opTime, majorityWriteDate: now },
      helloOk: true,
      maxBsonObjectSize: MAX_BSON,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId,
      minWireVersion: 0,
      maxWireVersion: WIRE_VERSION,
      readOnly: false,
      ok: 1,
    };
  }

  private readonly handlers: Record<string, Handler> = {
    hello: { options: HELLO_OPTIONS, run: (_, ctx) => this.hello(false, ctx.connectionId) },
    isMaster: { options: HELLO_OPTIONS, run: (_, ctx) => this.hello(true, ctx.connectionId) },
    ismaster: { options: HELLO_OPTIONS, run: (_, ctx) => this.hello(true, ctx.connectionId) },
    ping: { options: [], run: () => ({ ok: 1 }) },
    buildInfo: {
      options: [],
      run: () => ({ version: '7.0.0', versionArray: [7, 0, 0, 0], bits: 64, maxBsonObjectSize: MAX_BSON, ok: 1 }),
    },
    endSessions: { options: [], run: () => ({ ok: 1 }) },
    // Answered by `session` (the handler only runs for the checks of `run`).
    commitTransaction: { options: ['recoveryToken'], run: () => ({ ok: 1 }) },
    abortTransaction: { options: ['recoveryToken'], run: () => ({ ok: 1 }) },

    listCollections: {
      options: ['filter', 'nameOnly', 'authorizedCollections', 'cursor'],
      run: (cmd, { db }) => {
        const all = [...this.database(db).entries()].map(([name, c]) =>
          cmd.nameOnly
            ? { name, type: 'collection' }
            : {
                name,
                type: 'collection',
                options: {},
                info: { readOnly: false, uuid: c.uuid },
                idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
              },
        );
        const found = evaluate('query', () => new Query(cmd.filter ?? {}).find<Document>(all).all());
        return this.firstBatch(`${db}.$cmd.listCollections`, found, cmd.cursor?.batchSize);
      },
    },
    create: {
      options: [],
      run: (cmd, { db }) => {
        if (this.collection(db, cmd.create, false))
          throw new CommandError(48, 'NamespaceExists', `Collection ${db}.${cmd.create} already exists.`);
        this.collection(db, cmd.create);
        return { ok: 1 };
      },
    },
    drop: {
      options: [],
      run: (cmd, { db }) => {
        const c = this.collection(db, cmd.drop, false);
        this.database(db).delete(cmd.drop);
        return { ns: `${db}.${cmd.drop}`, nIndexesWas: c?.indexes.length ?? 0, ok: 1 };
      },
    },
    dropDatabase: {
      options: [],
      run: (_, { db }) => {
        this.dbs.delete(db);
        return { dropped: db, ok: 1 };
      },
    },

    createIndexes: {
      options: ['indexes'],
      run: (cmd, { db }) => {
        const created = !this.collection(db, cmd.createIndexes, false);
        const c = this.collection(db, cmd.createIndexes)!;
        const before = c.indexes.length;
        for (const spec of cmd.indexes as Document[]) {
          if (isTextKey(spec.key ?? {})) {
            this.createTextIndex(db, cmd.createIndexes, c, spec);
            continue;
          }
          checkKeys(spec, ['key', 'name', 'unique', 'sparse', 'background', 'v'], 'createIndexes.indexes');
          for (const [k, v] of Object.entries(spec.key))
            if (v !== 1 && v !== -1) throw unsupported(`index type { ${k}: ${EJSON.stringify(v)} }`);
          const same = c.indexes.find((i) => i.name === spec.name);
          const sameKey = c.indexes.find((i) => keyEquals(i.key, spec.key));
          const unique = spec.unique === true;
          const sparse = spec.sparse === true;
          if (same && keyEquals(same.key, spec.key) && same.unique === unique && same.sparse === sparse) continue;
          if (same)
            throw new CommandError(
              86,
              'IndexKeySpecsConflict',
              `An existing index has the same name as the requested index. Requested index: ${EJSON.stringify(spec)}, existing index: ${EJSON.stringify({ key: same.key, name: same.name, unique: same.unique, sparse: same.sparse })}`,
            );
          if (sameKey)
            throw new CommandError(
              85,
              'IndexOptionsConflict',
              `Index already exists with a different name: ${sameKey.name}`,
            );
          this.addIndex(db, cmd.createIndexes, c, {
            name: spec.name,
            key: spec.key,
            unique,
            sparse,
            entries: new Map(),
          });
        }
        return {
          numIndexesBefore: before,
          numIndexesAfter: c.indexes.length,
          ...(before === c.indexes.length ? { note: 'all indexes already exist' } : {}),
          createdCollectionAutomatically: created,
          ok: 1,
        };
      },
    },
    listIndexes: {
      options: ['cursor'],
      run: (cmd, { db }) => {
        const c = this.requireCollection(db, cmd.listIndexes);
        const specs = c.indexes.map((i) => ({
          v: 2,
          key: i.key,
          name: i.name,
          ...(i.unique && i.name !== '_id_' ? { unique: true } : {}),
          ...(i.sparse ? { sparse: true } : {}),
          ...(i.text
            ? {
                weights: i.text.weights,
                default_language: i.text.default_language,
                language_override: i.text.language_override,
                textIndexVersion: i.text.textIndexVersion,
              }
            : {}),
        }));
        return this.firstBatch(`${db}.${cmd.listIndexes}`, specs, cmd.cursor?.batchSize);
      },
    },
    dropIndexes: {
      options: ['index'],
      run: (cmd, { db }) => {
        const c = this.requireCollection(db, cmd.dropIndexes);
        const was = c.indexes.length;
        const names: string[] =
          cmd.index === '*'
            ? c.indexes.filter((i) => i.name !== '_id_').map((i) => i.name)
            : Array.isArray(cmd.index)
              ? cmd.index
              : typeof cmd.index === 'string'
                ? [cmd.index]
                : c.indexes.filter((i) => keyEquals(i.key, cmd.index)).map((i) => i.name);
        if (names.length === 0)
          throw new CommandError(27, 'IndexNotFound', `can't find index with key: ${EJSON.stringify(cmd.index)}`);
        for (const name of names) {
          if (name === '_id_') throw new CommandError(72, 'InvalidOptions', 'cannot drop _id index');
          if (!c.indexes.some((i) => i.name === name))
            throw new CommandError(27, 'IndexNotFound', `index not found with name [${name}]`);
        }
        c.indexes = c.indexes.filter((i) => !names.includes(i.name));
        return { nIndexesWas: was, ok: 1 };
      },
    },

    insert: {
      options: ['documents', 'ordered'],
      run: (cmd, { db }) => {
        const c = this.collection(db, cmd.insert)!;
        let n = 0;
        const errors = this.writeLoop(cmd.documents as Document[], cmd.ordered, (doc) => {
          const { _id, ...rest } = doc;
          this.insertDoc(db, cmd.insert, c, { _id: _id ?? new ObjectId(), ...rest }, 'insert');
          n++;
        });
        return { n, ...errors, ok: 1 };
      },
    },
    find: {
      options: ['filter', 'sort', 'projection', 'skip', 'limit', 'batchSize', 'singleBatch'],
      run: (cmd, { db }) => {
        const docs = this.findDocs(`${db}.${cmd.find}`, this.collection(db, cmd.find, false), cmd);
        const single = cmd.singleBatch === true || cmd.limit < 0;
        return this.firstBatch(`${db}.${cmd.find}`, docs, cmd.batchSize, !single);
      },
    },
    getMore: {
      options: ['collection', 'batchSize'],
      run: (cmd, { db }) => {
        const id = Number(cmd.getMore);
        const cursor = this.cursors.get(id);
        if (!cursor || cursor.ns !== `${db}.${cmd.collection}`)
          throw new CommandError(43, 'CursorNotFound', `cursor id ${id} not found`);
        this.cursors.delete(id);
        return this.batch(cursor.ns, cursor.docs, cmd.batchSize || cursor.docs.length, 'nextBatch', true, id);
      },
    },
    killCursors: {
      options: ['cursors'],
      run: (cmd) => {
        const killed: Long[] = [];
        const notFound: Long[] = [];
        for (const raw of cmd.cursors) {
          const id = Number(raw);
          (this.cursors.delete(id) ? killed : notFound).push(Long.fromNumber(id));
        }
        return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
      },
    },

    update: {
      options: ['updates', 'ordered'],
      run: (cmd, { db }) => {
        const coll: string = cmd.update;
        const c = this.collection(db, coll)!;
        let n = 0;
        let nModified = 0;
        const upserted: Document[] = [];
        const errors = this.writeLoop(cmd.updates as Document[], cmd.ordered, (stmt, index) => {
          checkKeys(stmt, ['q', 'u', 'upsert', 'multi'], 'update.updates');
          if (isPlainObject(stmt.u) && isOperatorDoc(stmt.u)) checkUpdatePaths(stmt.u);
          const matches = this.query(`${db}.${coll}`, c, stmt.q).all();
          const targets = stmt.multi ? matches : matches.slice(0, 1);
          if (targets.length === 0 && stmt.upsert) {
            const doc = this.upsert(db, coll, c, stmt.q, stmt.u);
            upserted.push({ index, _id: doc._id });
            n++;
            return;
          }
          if (stmt.multi && !isOperatorDoc(stmt.u))
            throw new CommandError(9, 'FailedToParse', 'multi update is not supported for replacement-style update');
          for (const old of targets) {
            const next = this.applyUpdate(old, stmt.u, false);
            checkStorable(next, 'update'); // (before serializing it: bson cannot serialize much over 16 MiB)
            n++;
            if (Buffer.from(serialize(next)).equals(serialize(old))) continue;
            this.replaceDoc(db, coll, c, old, next);
            nModified++;
          }
        });
        return { n, nModified, ...(upserted.length ? { upserted } : {}), ...errors, ok: 1 };
      },
    },
    delete: {
      options: ['deletes', 'ordered'],
      run: (cmd, { db }) => {
        const c = this.collection(db, cmd.delete, false);
        let n = 0;
        const errors = this.writeLoop(cmd.deletes as Document[], cmd.ordered, (stmt) => {
          checkKeys(stmt, ['q', 'limit'], 'delete.deletes');
          if (!c) return;
          const matches = this.query(`${db}.${cmd.delete}`, c, stmt.q).all();
          for (const doc of stmt.limit === 1 ? matches.slice(0, 1) : matches) {
            this.removeDoc(c, doc);
            n++;
          }
        });
        return { n, ...errors, ok: 1 };
      },
    },
    findAndModify: {
      options: ['query', 'sort', 'remove', 'update', 'new', 'fields', 'upsert'],
      run: (cmd, { db }) => {
        const coll: string = cmd.findAndModify;
        const c = this.collection(db, coll)!;
        const [old] = this.query(`${db}.${coll}`, c, cmd.query, cmd.sort).limit(1).all();
        const project = (doc: Document | undefined) =>
          doc && cmd.fields ? evaluate('projection', () => new Query({}).find([doc], cmd.fields).all()[0]) : doc;
        if (cmd.remove) {
          if (cmd.update || cmd.upsert || cmd.new) throw unsupported("combination of 'remove' with update/upsert/new");
          if (old) this.removeDoc(c, old);
          return { lastErrorObject: { n: old ? 1 : 0 }, value: project(old) ?? null, ok: 1 };
        }
        if (!cmd.update)
          throw new CommandError(9, 'FailedToParse', 'Either an update or remove=true must be specified');
        if (isPlainObject(cmd.update) && isOperatorDoc(cmd.update)) checkUpdatePaths(cmd.update);
        if (!old) {
          if (!cmd.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
          const doc = this.upsert(db, coll, c, cmd.query ?? {}, cmd.update);
          return {
            lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id },
            value: cmd.new ? project(doc) : null,
            ok: 1,
          };
        }
        const next = this.applyUpdate(old, cmd.update, false);
        this.replaceDoc(db, coll, c, old, next);
        return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(cmd.new ? next : old), ok: 1 };
      },
    },
    count: {
      options: ['query', 'limit', 'skip'],
      run: (cmd, { db }) => {
        const cursor = this.query(`${db}.${cmd.count}`, this.collection(db, cmd.count, false), cmd.query);
        if (cmd.skip) cursor.skip(cmd.skip);
        if (cmd.limit) cursor.limit(Math.abs(cmd.limit));
        return { n: cursor.all().length, ok: 1 };
      },
    },
    aggregate: {
      options: ['pipeline', 'cursor', 'allowDiskUse'],
      run: (cmd, { db }) => {
        if (typeof cmd.aggregate !== 'string') throw unsupported('database-level aggregate (aggregate: 1)');
        for (const stage of cmd.pipeline as Document[]) {
          const op = Object.keys(stage)[0] ?? '';
          if (['$out', '$merge', '$changeStream', '$currentOp', '$listSessions', '$indexStats'].includes(op))
            throw unsupported(`aggregation stage '${op}'`);
          if (op === '$match') checkLogical(stage.$match);
        }
        const ns = `${db}.${cmd.aggregate}`;
        const { source, pipeline, scored } = this.textPipeline(ns, this.collection(db, cmd.aggregate, false), cmd);
        const result = evaluate('aggregation', () =>
          new Aggregator(pipeline, {
            collectionResolver: (name: string) => this.collection(db, name, false)?.docs ?? [],
          }).run(source),
        ) as Document[];
        return this.firstBatch(ns, scored ? result.map(withoutScore) : result, cmd.cursor?.batchSize);
      },
    },
  };
}

/** The first armed entry matching a command (and point), consumed once; undefined if none. */
function take<T extends { command: string; collection?: string; times?: number; at?: string }>(
  armed: T[],
  name: string,
  collection: unknown,
  at?: string,
): T | undefined {
  const i = armed.findIndex(
    (f) => f.command === name && (f.collection === undefined || f.collection === collection) && f.at === at,
  );
  if (i < 0) return undefined;
  const f = armed[i]!;
  const left = (f.times ?? 1) - 1;
  if (left <= 0) armed.splice(i, 1);
  else armed[i] = { ...f, times: left };
  return f;
}

function keyEquals(a: unknown, b: unknown): boolean {
  return keyString([a]) === keyString([b]);
}

function checkEnvelope(cmd: Document, name: string): void {
  const level = cmd.readConcern?.level;
  if (
    cmd.readConcern &&
    (Object.keys(cmd.readConcern).some((k) => k !== 'level') ||
      !['local', 'majority', 'available', 'snapshot', undefined].includes(level))
  )
    throw unsupported(`readConcern ${EJSON.stringify(cmd.readConcern)} in '${name}'`);
  if (cmd.writeConcern) checkKeys(cmd.writeConcern, ['w', 'j', 'wtimeout'], `writeConcern of '${name}'`);
}

/** A one-line trace of a command: its fields, with documents and long arrays abbreviated. */
function describe(cmd: Document, db: string): string {
  const short = (v: unknown): unknown => (Array.isArray(v) ? (v.length > 3 ? `[${v.length} items]` : v.map(short)) : v);
  const { $db, lsid, $clusterTime, ...rest } = cmd;
  const fields = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, short(v)]));
  return `db=${db} ${EJSON.stringify(fields, { relaxed: true })}${lsid ? ' +lsid' : ''}${$clusterTime ? ' +$clusterTime' : ''}`;
}
