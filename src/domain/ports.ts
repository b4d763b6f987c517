/**
 * What the domain needs from the outside world. Adapters live in src/stores (PostgreSQL, MongoDB)
 * and tests/support (in-memory, unit tests only).
 */

import type { SeqRange } from './history.js';
import type {
  AccountRecord,
  ChatRecord,
  ConversationSummary,
  Feedback,
  ForkedFrom,
  PairFeedback,
  PairLocation,
  PairRecord,
  Rating,
  ShareRecord,
} from './model.js';

export interface AppendSlot {
  chat: ChatRecord;
  seq: number;
  now: Date;
  /**
   * The write's fencing token: taken from a PostgreSQL sequence while the tree lock is held, so a later
   * holder of the lock always carries a higher one. The content store keeps it with the pair.
   */
  fence: number;
}

/** Where a scan of content slots resumes: just after this (timestamp, response id). */
export interface SlotCursor {
  timestamp: Date;
  responseId: string;
}

export interface ScanSlotsOptions {
  from: Date;
  to: Date;
  after: SlotCursor | null;
  limit: number;
}

/** A stored pair's slot as the reconciler sees it. */
export interface ContentSlot {
  /** The owner: with it, removeSlot targets one shard of a sharded collection (docs/scaling.md). */
  accountId: string;
  chatId: string;
  seq: number;
  fence: number;
  responseId: string;
  timestamp: Date;
}

/** Where a search page resumes: just after this (score, response id), in descending order of both. */
export interface SearchCursor {
  score: number;
  responseId: string;
}

/** A full-text search over the pairs of the given seq ranges (README, "Search"). */
export interface ContentSearch {
  accountId: string;
  /** What the user typed (1..200 characters, at least one letter or digit); each store tokenises it. */
  text: string;
  /** Where to look: a chat's visible history, or every live chat's own pairs. Pairs outside never match. */
  ranges: SeqRange[];
  limit: number;
  after: SearchCursor | null;
}

/** Snippet marks: the store brackets each match with these; the HTTP layer turns them into <mark> tags. */
export const MARK_START = '\uE000';
export const MARK_END = '\uE001';

export interface ContentHit {
  pair: PairRecord;
  /** Relevance, higher is better; depends on the pair and the query only (comparable within one search). */
  score: number;
  /** A short extract of the question and response with matches between MARK_START and MARK_END. */
  snippet: string;
}

/**
 * Tokens the generated answers of some pairs cost, summed: a pair whose response the client gave (generation
 * null), and a count the source did not report (null), add 0.
 */
export interface UsageTotals {
  promptTokens: number;
  completionTokens: number;
}

/** A live chat and how many own pairs it has committed (for searching every chat of an account). */
export interface LiveChat {
  chatId: string;
  rootChatId: string;
  ownCount: number;
}

export interface SubtreeDeletion {
  rootChatId: string;
  /** The chats this call deleted, oldest first. */
  deletedChatIds: string[];
  /** The chat that became active because the active one was deleted (the subtree's parent), else null. */
  newActiveChatId: string | null;
}

/**
 * What update-chat changes: absent fields stay; `systemPrompt: null` removes the prompt. `name` renames the chat (on
 * the root, the conversation's name becomes the user's: name_source `user`); `systemPrompt`, `archived` and
 * `pinned` are the conversation's, whichever chat of the tree is given.
 */
export interface ChatChanges {
  name?: string;
  systemPrompt?: string | null;
  archived?: boolean;
  pinned?: boolean;
}

/**
 * Which conversations a listing or a search covers: `exclude` archived ones, `include` them, or `only` them
 * (list-chats' and search-messages' `archived` = `false` | `true` | `only`).
 */
export type ArchivedScope = 'exclude' | 'include' | 'only';

export interface ImportedTree {
  /** Root first, every chat after its parent; own counts and the one active flag already set. */
  chats: ChatRecord[];
  systemPrompt: string | null;
  /** The latest write in the imported tree (list-chats orders by it). */
  lastActivityAt: Date;
  /** A conversation made by fork-chat: where it was copied from (stored on the new tree). */
  forkedFrom?: ForkedFrom;
  /** Feedback on the new pairs (by their new ids), stored in the same transaction. */
  feedback?: PairFeedback[];
}

/** What set-feedback asks for: a rating with an optional comment, or null (remove the feedback). */
export type FeedbackInput = { rating: Rating; comment: string | null } | null;

/** How many answers of some pairs were rated up and down (compare-branches' totals). */
export interface FeedbackCounts {
  up: number;
  down: number;
}

/** What the page reads need besides the pairs, in one metadata round trip (see MetadataStore.pairExtras). */
export interface PairExtras {
  /** Live branches forking right after each pair, oldest first; the start forks under START_FORKS. */
  branches: Map<string, string[]>;
  /** The account's feedback on each pair that has some. */
  feedback: Map<string, Feedback>;
}

/**
 * A change to a conversation tree as the domain announces it: the services say what each write changed, the
 * metadata store appends it to the tree's event log in the write's own transaction, under the tree lock, so
 * the log's order is the commit order and a committed write always has its events (src/events, the change
 * feed). `tree.created` is a tree's first entry (seq 0: create-chat, import-chat); the others follow.
 */
export type TreeChange =
  | { event: 'tree.created'; chats: ChatRecord[]; imported: boolean }
  | { event: 'message.added'; pair: PairRecord }
  | { event: 'branch.created'; chat: ChatRecord; pair: PairRecord | null }
  | { event: 'branch.activated'; rootChatId: string; activeChatId: string }
  | { event: 'chat.updated'; chat: ChatRecord }
  | { event: 'chat.deleted'; deletedChatIds: string[] }
  | { event: 'pair.feedback'; responseId: string; chatId: string; feedback: Feedback | null };

/** The changes a write announces, given what it committed (called inside its transaction). */
export type Announce<R> = (result: R) => TreeChange[];

/** An event as the log stores it: its name and its data's JSON text (src/http/events/event-json.ts). */
export interface EncodedChange {
  event: string;
  data: string;
}

/** The key of a tree's start forks in branchesAfter's answer (no pair id is empty). */
export const START_FORKS = '';

/** Where a page of list-chats resumes: just after this conversation in (pinned, last activity, id) descending order. */
export interface ListCursor {
  pinned: boolean;
  lastActivityAt: Date;
  chatId: string;
}

/**
 * Metadata: accounts, chats and conversation trees (PostgreSQL). Every method that changes a tree
 * runs in one transaction holding that tree's conversation row lock, so tree invariants (exactly one
 * active chat, live parents, counters) cannot be broken by concurrent calls.
 */
export interface MetadataStore {
  createAccount(account: AccountRecord): Promise<void>;
  findAccountByEmail(email: string): Promise<AccountRecord | null>;
  accountExists(accountId: string): Promise<boolean>;

  /** Inserts a root chat and its conversation row. */
  createConversation(root: ChatRecord, announce: Announce<ChatRecord>): Promise<ChatRecord>;
  /** A live chat of the account, or null. */
  getChat(accountId: string, chatId: string): Promise<ChatRecord | null>;
  /** Live chats of a tree, oldest first. */
  listTree(accountId: string, rootChatId: string): Promise<ChatRecord[]>;
  /** The account's live conversations in `archived` scope, pinned ones first, then by latest activity (and id). */
  listConversations(
    accountId: string,
    limit: number,
    cursor: ListCursor | null,
    archived: ArchivedScope,
  ): Promise<ConversationSummary[]>;

  /**
   * Reserves the next seq of a live chat and runs `write` (the content write) while holding the lock;
   * the new own_count commits only if `write` succeeds. Returns the updated chat.
   */
  appendPair(
    accountId: string,
    chatId: string,
    write: (slot: AppendSlot) => Promise<void>,
    announce: Announce<AppendSlot>,
  ): Promise<AppendSlot>;
  /**
   * Inserts a branch if its parent is still live; optionally activates it and writes its first pair
   * (seq 1) in the same transaction.
   */
  createBranch(
    branch: ChatRecord,
    options: { activate: boolean; writeFirst?: (slot: AppendSlot) => Promise<void> },
    announce: Announce<ChatRecord>,
  ): Promise<ChatRecord>;
  setActive(
    accountId: string,
    chatId: string,
    announce: Announce<{ rootChatId: string; activeChatId: string }>,
  ): Promise<{ rootChatId: string; activeChatId: string }>;
  /** Soft-deletes a live chat and its subtree. */
  softDeleteSubtree(accountId: string, chatId: string, announce: Announce<SubtreeDeletion>): Promise<SubtreeDeletion>;
  /**
   * Renames a live chat and/or sets its conversation's system prompt; `check` runs on the locked current row
   * and may throw to abort. The chat's updated_at moves forward either way.
   */
  updateChat(
    accountId: string,
    chatId: string,
    changes: ChatChanges,
    now: Date,
    check: (current: ChatRecord) => void,
    announce: Announce<ChatRecord>,
  ): Promise<ChatRecord>;

  /**
   * Names the conversation `rootChatId` with a proposed title, only if its name is still the default one (name_source
   * `default`): under the tree lock, the root's name becomes `title`, name_source `auto`, its updated_at moves and
   * the tree's version too (not its activity), with the announced events. Null (nothing written) when the name is no
   * longer the default one or the tree is gone.
   */
  setTitle(
    accountId: string,
    rootChatId: string,
    title: string,
    now: Date,
    announce: Announce<ChatRecord>,
  ): Promise<ChatRecord | null>;

  /**
   * Inserts whole conversation trees (chats with their final own counts, conversation rows) in one
   * transaction, then runs `write` (the content) with a fencing token inside it: all of it or nothing.
   */
  importTrees(
    trees: ImportedTree[],
    write: (fence: number) => Promise<void>,
    announce: Announce<ImportedTree>,
  ): Promise<void>;

  /**
   * Live branches forking right after each of these pairs, oldest first; with `startOf` (a tree's root), also that
   * tree's start forks (branches forking before its first pair), oldest first, under the key START_FORKS.
   */
  branchesAfter(accountId: string, responseIds: string[], startOf?: string): Promise<Map<string, string[]>>;

  /**
   * branchesAfter's answer and the account's feedback on each of these pairs, in one round trip (a page read: every
   * QAPair carries both).
   */
  pairExtras(accountId: string, responseIds: string[], startOf?: string): Promise<PairExtras>;

  /**
   * Sets (or, with null, removes) the account's feedback on the pair `responseId` stored at `at`: a write to the
   * pair's tree (locked, its version bumped, the change announced in the same transaction). NotFoundError when the
   * chat at `at` is not a live chat of the account, or the pair is not committed there. Returns what is stored.
   */
  setFeedback(
    accountId: string,
    responseId: string,
    at: PairLocation,
    feedback: FeedbackInput,
    announce: Announce<Feedback | null>,
  ): Promise<Feedback | null>;

  /** The account's feedback on the pairs of these ranges (chat, seq from..to), by response id: one query. */
  feedbackIn(accountId: string, ranges: SeqRange[]): Promise<Map<string, PairFeedback>>;

  /** How many pairs of these ranges the account rated up and down: one aggregate query, no pair read. */
  feedbackCounts(accountId: string, ranges: SeqRange[]): Promise<FeedbackCounts>;

  /**
   * own_count of each of these chats that has a row (live or soft-deleted); chats with no row are absent.
   * For the reconciler: content at a slot past its chat's own_count never committed.
   */
  ownCounts(chatIds: string[]): Promise<Map<string, number>>;

  /**
   * Every live chat of the account with its committed own_count (search across all chats), in the conversations of
   * `archived` scope (default: all of them).
   */
  liveChats(accountId: string, archived?: ArchivedScope): Promise<LiveChat[]>;

  ping(): Promise<void>;
}

/** Where list-shares resumes: just after this (created_at, share_id), in descending order of both. */
export interface ShareCursor {
  createdAt: Date;
  shareId: string;
}

/**
 * Share links (PostgreSQL). Account-level rows: no tree lock, no tree version, no event. Every read asks the
 * database (nothing is kept in memory), so a revocation is seen at once by every process.
 */
export interface ShareStore {
  insert(share: ShareRecord): Promise<void>;
  /** The share whose token hashes to `tokenHash` (revoked and expired ones included), or null. */
  byTokenHash(tokenHash: Uint8Array): Promise<ShareRecord | null>;
  /**
   * The account's unrevoked shares whose chat is live (of `chatId` only, when given), newest first, after `after`,
   * at most `limit`.
   */
  list(
    accountId: string,
    options: { chatId: string | null; after: ShareCursor | null; limit: number },
  ): Promise<ShareRecord[]>;
  /** Revokes an unrevoked share of the account whose chat is live; its revocation time, or null when there is none. */
  revoke(accountId: string, shareId: string, now: Date): Promise<Date | null>;
}

/** Message content (MongoDB in production, PostgreSQL in the embedded default). */
export interface ContentStore {
  readonly name: string;
  /**
   * True when content lives in the metadata database and its writes join the metadata transaction (so a
   * failure between the two cannot happen and there is nothing to reconcile).
   */
  readonly atomicWithMetadata: boolean;
  /**
   * Stores a pair at (chat_id, seq) with its fencing token. An earlier write at the same slot whose
   * metadata never committed is replaced, but only by a higher fence: a write carrying a lower or equal
   * fence than the one stored is refused with StaleWriteError and changes nothing. The pair also stores its
   * chat's running usage totals up to it (see `usage`), from the pair at seq - 1: the domain appends a chat's
   * pairs in seq order (under the tree lock), so that pair is there.
   */
  append(pair: PairRecord, fence: number): Promise<void>;
  /**
   * Stores the pairs of newly created chats (an import) with one fencing token. The slots are new: nothing
   * is replaced. Cleaned up like append's writes when the metadata transaction fails.
   */
  appendMany(pairs: PairRecord[], fence: number): Promise<void>;
  /**
   * Removes every pair of these chats written with `fence` (a failed import's content: its timestamps are
   * historic, so the reconciler's time window would never see it). Returns how many were removed.
   */
  removeChats(accountId: string, chatIds: string[], fence: number): Promise<number>;
  /** Removes the pair at (chat_id, seq) of the account's chat if it still carries `fence`; true if removed. */
  removeSlot(accountId: string, chatId: string, seq: number, fence: number): Promise<boolean>;
  /**
   * Slots written in [from, to), ordered by (timestamp, response_id), after `after` (exclusive), at most
   * `limit`. Used by the reconciler to find content whose metadata never committed.
   */
  scanSlots(options: ScanSlotsOptions): Promise<ContentSlot[]>;
  /** Pairs of the given ranges, in the order of the ranges and ascending seq within each. */
  readRanges(accountId: string, ranges: SeqRange[]): Promise<PairRecord[]>;
  /**
   * The tokens of the generated answers among the pairs of the given ranges. Each pair stores the running totals
   * of its chat up to it (written with it), so a range costs two row reads at most, whatever its length.
   */
  usage(accountId: string, ranges: SeqRange[]): Promise<UsageTotals>;
  /**
   * For each prefix (the pairs 1..seq of chat chatId; seq 0: none), the tokens of its generated answers, in the
   * order given: the running totals stored at each prefix's end, read in one query (get-branches: every chat of
   * a tree is a few such prefixes, see domain/usage.ts).
   */
  usagePrefixes(accountId: string, prefixes: PairLocation[]): Promise<UsageTotals[]>;
  /**
   * Full-text search: pairs of `ranges` matching every word of `text`, ordered by score then response id
   * (both descending), after `after`, at most `limit`.
   */
  search(query: ContentSearch): Promise<ContentHit[]>;
  /** Where a pair is stored, or null. */
  locate(accountId: string, responseId: string): Promise<PairLocation | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One message of the context sent to a model (OpenAI Chat Completions roles). */
export interface ModelMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ResponderRequest {
  /** System prompt (if any), the trimmed history, then the new question. */
  messages: ModelMessage[];
  /** The prompt's size counted locally with the tokenizer (used when the model does not report usage). */
  promptTokens: number;
  /** Aborted when the client goes away or the answer times out: the responder must stop and release. */
  signal: AbortSignal;
}

/** What a responder's stream yields: text as it comes, and at most one usage report (usually last). */
export type ResponderChunk =
  | { kind: 'delta'; text: string }
  | { kind: 'usage'; model: string; promptTokens: number | null; completionTokens: number | null };

/** What a title is proposed from: a conversation's first question and its answer. */
export interface TitleRequest {
  question: string;
  answer: string;
  /** Aborted when the title is no longer wanted (its time is up, or the server shuts down). */
  signal: AbortSignal;
}

/**
 * Answers questions (README, "Model responses"). `start` resolves once the model has accepted the request
 * (so a refusal can still become an HTTP status); the stream then yields the answer. Failures are
 * UpstreamError / UpstreamTimeoutError (→ 502 / 504).
 */
export interface Responder {
  /** The model this responder asks (recorded on each pair it answers). */
  readonly model: string;
  start(request: ResponderRequest): Promise<AsyncIterable<ResponderChunk>>;
  /**
   * A short title for a conversation from its first question and answer (docs/api.md, "Titles"), one line; cleaned
   * and bounded by the caller (domain/chats/titles.ts). Absent: the local, deterministic title of the question.
   */
  proposeTitle?(request: TitleRequest): Promise<string>;
}

/**
 * Work done after a request has been answered, never delaying it (automatic titles): at most one task per key runs
 * at a time (a second one for a key already running is dropped); a failure is logged, never surfaced. The process
 * waits for running tasks briefly when it shuts down, then aborts them (src/jobs/background.job.ts).
 */
export interface BackgroundTasks {
  run(key: string, task: (signal: AbortSignal) => Promise<void>): void;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

/**
 * Reads that a read replica may serve (search, export, list-chats; src/stores/replica.ts): `fn`'s reads run on
 * the replica only once it has replayed every commit acknowledged before the call, else on the primary, so they
 * stay linearizable. Absent (no DATABASE_READ_URL): `fn` runs on the primary.
 */
export interface ReplicaReads {
  read<T>(fn: () => Promise<T>): Promise<T>;
}
