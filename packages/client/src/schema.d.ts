/**
 * Generated from openapi.json by openapi-typescript (scripts/client-types.ts, run by `npm run openapi`).
 * Do not edit: tests/unit/client-types.test.ts fails when this file is not what the generator writes.
 */

export interface paths {
    "/api/v1/ws": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * WebSocket of real-time tree events (upgrade)
         * @description Upgrades to a WebSocket (subprotocol `branchat.v1`). Authenticate with `Authorization: Bearer`, a `bearer.<token>` entry of Sec-WebSocket-Protocol (browsers: `new WebSocket(url, ["branchat.v1", "bearer." + token])`) or `?token=`. Then send ClientFrame JSON texts and receive ServerFrame JSON texts: `subscribe` to a tree by any of its chat ids (another account’s → an `error` frame with a 404 problem), with `last_seq` to resume (the last 1,000 events per tree are kept; beyond, `resync`). Events of a tree arrive in `seq` order, once. A resume replays at most 500 events / 512 KiB (WS_REPLAY_MAX_EVENTS, WS_REPLAY_MAX_KB), within replay byte budgets per socket (2 MiB, then 128 KiB/s) and per account (8 MiB, then 512 KiB/s; per server process); beyond, `resync` instead of the events: read the tree over REST. Close codes: 1008 a client that does not read its events (send buffer full); 4401 the token expired; 4429 too many frames: over the frame rate (a burst of 128, then 10 per second: WS_FRAME_BURST, WS_FRAMES_PER_SECOND) or over the frames waiting to be handled (128 frames / 64 KiB: WS_MAX_PENDING_FRAMES, WS_MAX_PENDING_KB), do not reconnect at once; 1009 a frame over 4096 bytes; 1003 a binary frame. An account may have 20 sockets open per server process (WS_MAX_SOCKETS_PER_ACCOUNT); one more → 429 before the upgrade (or, if it raced past that check, close 4429 at once). Defaults are quoted; see README, "Real-time events".
         */
        get: operations["eventSocket"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: 200 while the process runs */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: 200 when PostgreSQL and the content store answer, else 503 */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create an account and get a token
         * @description Emails are case-insensitive (stored lowercased). Passwords are stored as argon2id hashes. At most REGISTER_MAX_PER_WINDOW (default 30) registration attempts per client address (an IPv6 client: per /64) per REGISTER_WINDOW_SECONDS (default 600); every well-formed attempt counts, a duplicate email too. Past it → 429 with Retry-After, and no account is created. The client address is the connection’s, or with TRUSTED_PROXIES the one they forward (X-Forwarded-For); counted across every instance when REDIS_URL is set.
         */
        post: operations["register"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange email and password for a token
         * @description A wrong email and a wrong password get the same 401. Repeated failures per email and per client address answer 429 with Retry-After until the window passes: LOGIN_MAX_FAILURES (default 10) per LOGIN_WINDOW_SECONDS (default 900); a successful login clears its email’s count. The client address is as for register; counted across every instance when REDIS_URL is set.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats/create-chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a conversation (its root chat)
         * @description Without `name` the conversation is called "New chat" until its first question and answer are stored: the responder then proposes a title from them (the configured model, else the question’s first words), in the background, after the answer has been sent; it arrives as a `chat.updated` event (the root chat, renamed) and in every later read. A name given here, or set with update-chat before the title arrives, is never replaced.
         */
        post: operations["createChat"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats/get-chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A chat and one page of its visible history
         * @description Pages are in ascending conversation order. No cursor: the first `limit` pairs. `after=R`: the pairs following R. `before=R`: the pairs just preceding R. `before=end`: the last `limit` pairs. R must be in the chat’s visible history (else 404). The response carries an `ETag` of this page: `"<chat tag>.<tree version>"`. It changes whenever the tree changes (a write anywhere in the tree), so `If-None-Match` with it answers 304 with no body while the page is unchanged; update-chat accepts it in `If-Match`, where only the chat’s own fields count (the part before the dot).
         */
        get: operations["getChat"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats/update-chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Rename a chat; set its conversation’s system prompt, archive or pin it
         * @description Give at least one of `name`, `system_prompt`, `archived`, `pinned`. `name` renames this chat (the root’s name is the conversation’s: from then on the user’s, never replaced by an automatic title, even one in flight). `system_prompt`, `archived` and `pinned` are the conversation’s (one per tree, whichever chat of it is given): the system prompt applies to every chat of it from the next answer on (`null` removes it); an archived conversation is hidden by list-chats unless asked for; pinned ones are listed first. `updated_at` of this chat moves forward either way, the tree’s version too (every chat’s page ETag changes), and the change is announced as a `chat.updated` event carrying this chat.
         */
        put: operations["updateChat"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats/delete-chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Soft-delete a chat and its whole subtree
         * @description Deleting a root deletes the conversation. If the active chat is deleted, the deleted subtree’s parent becomes active.
         */
        delete: operations["deleteChat"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats/list-chats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The account’s conversations, pinned first, then latest activity first
         * @description One entry per live conversation: pinned ones first, then the others, each group by latest activity (newest first). Archived conversations are left out unless `archived` is `true` (all) or `only`. Paged by `next_cursor`, which knows where the pinned ones end: no conversation is skipped or repeated across pages.
         */
        get: operations["listChats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats/export-chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export a conversation: the whole tree (json, chatgpt) or a chat’s history (markdown)
         * @description `json`: the whole tree in branchat’s own format (every live chat with its own pairs). `chatgpt`: the whole tree as one conversation of a ChatGPT data export (`mapping` of message nodes; each pair is a user node and its assistant node; a branch is a second child of the pair it forks after; `current_node` is the last message of the active chat); import-chat reads it back. `markdown`: the visible history of `chat_id` (inherited pairs included) as a readable document. Any chat of the tree can be given for json and chatgpt. A heavy operation (import-chat, export-chat, fork-chat, get-branches, search-messages). Per server process (the bounds protect its connection pools): an account may have HEAVY_MAX_PER_ACCOUNT (default 2) of them in flight, the next → 429 with Retry-After before anything is read or stored; the server process runs at most HEAVY_MAX_CONCURRENT at once (default: half of DB_POOL_MAX), the next HEAVY_QUEUE_MAX (default 10) wait up to HEAVY_QUEUE_TIMEOUT_MS (default 10 s) for their turn, beyond that → 503 with Retry-After, and nothing is stored. Rate limit: costs RATE_COST_EXPORT (default 10) points of the account's budget of WRITE_RATE_LIMIT points per WRITE_RATE_WINDOW_SECONDS (default 600 per 60 s, where a write costs 1), shared by every server instance when REDIS_URL is set; past it → 429 with Retry-After.
         */
        get: operations["exportChat"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats/import-chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import ChatGPT conversations (one, or a conversations.json array)
         * @description Rebuilds each tree: a message with several answers (regenerations) or several follow-up questions (edits) becomes branches; timestamps and the active path (`current_node`) are kept; system and tool messages are skipped (a non-empty system message becomes the system prompt). Everything is checked first: malformed input → 422 listing each problem (`errors`, with paths such as `[2].mapping.<id>.parent`) and nothing is stored. Otherwise all conversations are stored in one transaction. Text limits are those of add-message. Body limit: IMPORT_MAX_MB (default 32 MiB). One call holds at most IMPORT_MAX_CONVERSATIONS (default 1,000) conversations and IMPORT_MAX_PAIRS (default 100,000) pairs over all of them: beyond either → 422 (`errors[].path` `(input)`), nothing stored; import a larger conversations.json in parts. Branches nest at most 256 levels deep, as with create-branch (deeper → 422). Times are kept from 1970-01-01T00:00:00Z to one day past the server’s clock: a time outside that window (but within years 1 to 9999) is moved to its nearest end, and `notes` says so per conversation; a time outside years 1 to 9999 → 422. A heavy operation (import-chat, export-chat, fork-chat, get-branches, search-messages). Per server process (the bounds protect its connection pools): an account may have HEAVY_MAX_PER_ACCOUNT (default 2) of them in flight, the next → 429 with Retry-After before anything is read or stored; the server process runs at most HEAVY_MAX_CONCURRENT at once (default: half of DB_POOL_MAX), the next HEAVY_QUEUE_MAX (default 10) wait up to HEAVY_QUEUE_TIMEOUT_MS (default 10 s) for their turn, beyond that → 503 with Retry-After, and nothing is stored. Rate limit: costs RATE_COST_IMPORT (default 10) points per started 1,000 messages (mapping nodes) in the body, never more than the whole budget, of the account's budget of WRITE_RATE_LIMIT points per WRITE_RATE_WINDOW_SECONDS (default 600 per 60 s, where a write costs 1), shared by every server instance when REDIS_URL is set; past it → 429 with Retry-After and nothing stored.
         */
        post: operations["importChat"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats/fork-chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Copy a chat’s history (up to a pair) into a new, independent conversation
         * @description The new conversation’s root holds, as its own pairs, the visible history of `chat_id` up to and including `response_id` (all of it when absent; an empty root when that history is empty): new chat and response ids, the same question, response, type, language, url, generation, timestamp and feedback. It shares nothing with the source (deleting either leaves the other whole) and records `forked_from` (the source chat and the last pair copied, `response_id` null for an empty copy; null once the source chat is deleted). The system prompt is copied. `response_id` outside the visible history of `chat_id`, or a chat of another account → 404. With `include_branches`, the branches below that point come along: every live chat of the source tree whose visible history begins with the copied history and goes on past it (the chat that stores the last copied pair with its later pairs, the branches forking at or after that pair, and everything below them; not the branches forking earlier). Each becomes a branch of the new tree whose visible history holds the same pairs as in the source; names, created/updated times (so the order of siblings) and the active chat are kept (the root is active when the active chat does not come along). A chat whose history is exactly the copied history is the new root itself and is not copied again. Start forks (branches forking before the first pair) come along only when the copied history is empty (then every chat of the tree with a non-empty history does, the source root included, as a start fork of the new root). One call copies at most IMPORT_MAX_PAIRS (default 100,000) pairs, and copied branches nest at most 256 levels deep (the new root adds one level above the copied chain): beyond → 422, nothing stored. Everything is stored in one transaction, with a `tree.created` event (`imported: true`). A heavy operation (import-chat, export-chat, fork-chat, get-branches, search-messages). Per server process (the bounds protect its connection pools): an account may have HEAVY_MAX_PER_ACCOUNT (default 2) of them in flight, the next → 429 with Retry-After before anything is read or stored; the server process runs at most HEAVY_MAX_CONCURRENT at once (default: half of DB_POOL_MAX), the next HEAVY_QUEUE_MAX (default 10) wait up to HEAVY_QUEUE_TIMEOUT_MS (default 10 s) for their turn, beyond that → 503 with Retry-After, and nothing is stored. Rate limit: costs what importing the copied pairs would (RATE_COST_IMPORT, default 10, points per started 1,000 pairs), at least RATE_COST_EXPORT (default 10) points, of the account's budget of WRITE_RATE_LIMIT points per WRITE_RATE_WINDOW_SECONDS (default 600 per 60 s, where a write costs 1), shared by every server instance when REDIS_URL is set; past it → 429 with Retry-After and nothing stored.
         */
        post: operations["forkChat"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/messages/add-message": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Append a question and its response to a chat
         * @description Appended at the end of the chat’s own history. Without `response` the configured responder answers (the default is local and deterministic; README, "Model responses"): the model sees the chat’s visible history within the token budget. `Accept: text/event-stream` streams the answer (server-sent events); the pair is stored once, when the answer is complete. Concurrent calls on one chat all succeed, each in its own position.
         */
        post: operations["addMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/messages/search-messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Full-text search over questions and responses
         * @description Every word of `q` must match (AND). Case-insensitive, stemmed in the configured SEARCH_LANGUAGE; on PostgreSQL each word also matches as a prefix (`conn` finds "connection"), on MongoDB whole words only. With `chat_id`: only that chat’s visible history (inherited pairs included, other branches excluded). Without: every live chat of the account, each pair once, under the chat that stores it. Deleted chats never appear. `archived=false` leaves out the conversations that are archived, `only` searches only them (default `true`: all). Ordered by `score`, then newest first; `next_cursor` pages on (results may shift if pairs are added between pages, but no hit repeats). A heavy operation (import-chat, export-chat, fork-chat, get-branches, search-messages). Per server process (the bounds protect its connection pools): an account may have HEAVY_MAX_PER_ACCOUNT (default 2) of them in flight, the next → 429 with Retry-After before anything is read or stored; the server process runs at most HEAVY_MAX_CONCURRENT at once (default: half of DB_POOL_MAX), the next HEAVY_QUEUE_MAX (default 10) wait up to HEAVY_QUEUE_TIMEOUT_MS (default 10 s) for their turn, beyond that → 503 with Retry-After, and nothing is stored. Rate limit: costs RATE_COST_SEARCH (default 1) point of the account's budget of WRITE_RATE_LIMIT points per WRITE_RATE_WINDOW_SECONDS (default 600 per 60 s, where a write costs 1), shared by every server instance when REDIS_URL is set; past it → 429 with Retry-After.
         */
        get: operations["searchMessages"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/messages/set-feedback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Rate an answer: thumbs up or down, with an optional comment
         * @description Sets the account’s feedback on the pair `response_id` (replacing any earlier one: one feedback per account and pair), or removes it with `rating: null`. The feedback belongs to the pair, not to a chat: every chat whose visible history shows the pair (the chat that stores it and the branches that inherit it) shows it as the pair’s `feedback` in get-chat and compare-branches, and compare-branches counts it in each tail’s `totals.feedback`. It is a write to the pair’s tree: the tree’s version moves, so every get-chat `ETag` of the tree changes (a cached page is never served stale), and a `pair.feedback` event `{response_id, chat_id, feedback}` (`chat_id`: the chat that stores the pair) is published in the same transaction; the chats’ `updated_at` and the tree’s `last_activity_at` do not move. Export keeps it (branchat JSON: the pair’s `feedback`; ChatGPT format: the answer’s `metadata.branchat.feedback`) and import-chat and fork-chat copy it to the new pairs. A pair that does not exist, whose chat was deleted, or of another account → 404; a comment with `rating: null` → 422 (`errors[].path` `comment`). Setting the same feedback again is harmless (PUT: no `Idempotency-Key` needed). Costs 1 point of the write limit.
         */
        put: operations["setFeedback"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/branches/create-branch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Fork a chat after any pair of its visible history, or before its first
         * @description The branch sees the history up to and including `response_id`, then its own pairs. Forking from an inherited pair attaches the branch to the chat that stores that pair. `response_id` null or absent forks before the first pair of the tree (a *start fork*: its history begins empty, it hangs under the root with `fork_response_id` null; get-chat lists a tree’s start forks in `start_branches`): how the first question is asked differently. No message is copied. With `question`, the branch’s first pair is added in the same call (without `response`, the responder answers from the fork’s history; `Accept: text/event-stream` streams that answer). `activate` (default true) makes the branch the active chat. Branches nest at most 256 levels deep (a branch of a branch of …; the root is level 0): a fork whose branch would be deeper → 422 (`errors[].path` `response_id`). The same limit holds for import-chat, so every tree exports (format chatgpt) and imports back.
         */
        post: operations["createBranch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/branches/get-branches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The whole tree of a conversation
         * @description A heavy operation (import-chat, export-chat, fork-chat, get-branches, search-messages). Per server process (the bounds protect its connection pools): an account may have HEAVY_MAX_PER_ACCOUNT (default 2) of them in flight, the next → 429 with Retry-After before anything is read or stored; the server process runs at most HEAVY_MAX_CONCURRENT at once (default: half of DB_POOL_MAX), the next HEAVY_QUEUE_MAX (default 10) wait up to HEAVY_QUEUE_TIMEOUT_MS (default 10 s) for their turn, beyond that → 503 with Retry-After, and nothing is stored. Rate limit: costs RATE_COST_GET_BRANCHES (default 5) points of the account's budget of WRITE_RATE_LIMIT points per WRITE_RATE_WINDOW_SECONDS (default 600 per 60 s, where a write costs 1), shared by every server instance when REDIS_URL is set; past it → 429 with Retry-After. The response carries an `ETag` of the tree as it is (it changes with every write to the tree); `If-None-Match` with it answers 304 with no body while it holds.
         */
        get: operations["getBranches"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/branches/set-active-branch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Make a chat the active one of its tree
         * @description Afterwards exactly one chat of the tree is active, also when calls race.
         */
        put: operations["setActiveBranch"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/messages/regenerate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Ask again: a new answer to a pair’s question, kept beside the old one
         * @description The responder answers the question of `response_id` again, from the same history (what came before that question). The new answer is stored as an alternative of the pair: a new branch that forks where the pair’s question starts (after the pair before it, or before the first pair of the tree for a first question), whose first pair is the same question (same `type`) with the new answer. The old pair and everything after it stay as they are; the new branch is listed in the `branches` of the pair before (or the chat’s `start_branches`), beside the chat that holds the old answer. `activate` (default true) makes the new branch the active chat. `Accept: text/event-stream` streams the answer as add-message does. Unknown pair, or one of another account → 404; the model failing → 502, silent → 504, as add-message. The new branch nests one level below the chat that stores the pair: past 256 levels → 422.
         */
        post: operations["regenerate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/branches/compare-branches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Where two chats of a tree part ways, and what each holds after that
         * @description Both chats must be live chats of the account (else 404) and of the same conversation tree (else 422, `errors[].path` `other_chat_id`). `common_count` is the length of the common prefix of their visible histories (found from the chats’ fork points, no message read); `last_shared` is its last pair. Each tail is the rest of that chat’s history, paged in conversation order: the first `limit` pairs, or with `after` (`other_after` for the other tail) the pairs following that pair, which must be in that tail (else 404). Each tail says whether it goes on and gives its next cursor; `totals` cover the whole tail (its pairs, the tokens of its generated answers, and how many of its answers were rated up and down). A start fork shares nothing with the root (`common_count` 0); a chat and one of its ancestors share the ancestor’s history up to the fork (one tail empty when the ancestor has no later pair); a chat compared with itself has empty tails. Its totals read each whole tail: A heavy operation (import-chat, export-chat, fork-chat, get-branches, search-messages). Per server process (the bounds protect its connection pools): an account may have HEAVY_MAX_PER_ACCOUNT (default 2) of them in flight, the next → 429 with Retry-After before anything is read or stored; the server process runs at most HEAVY_MAX_CONCURRENT at once (default: half of DB_POOL_MAX), the next HEAVY_QUEUE_MAX (default 10) wait up to HEAVY_QUEUE_TIMEOUT_MS (default 10 s) for their turn, beyond that → 503 with Retry-After, and nothing is stored. Rate limit: costs RATE_COST_GET_BRANCHES (default 5) points, as get-branches does, of the account's budget of WRITE_RATE_LIMIT points per WRITE_RATE_WINDOW_SECONDS (default 600 per 60 s, where a write costs 1), shared by every server instance when REDIS_URL is set; past it → 429 with Retry-After.
         */
        get: operations["compareBranches"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/shares/create-share": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A read-only link to a chat’s visible history
         * @description Makes a link that lets anyone holding its token read the visible history of `chat_id` (inherited pairs included) through `GET /api/v1/public/shares/{token}`, or in the demo at `url`, without an account. `live: false` (the default) freezes it now: the link shows the first `pair_count` pairs (the history’s length at this moment) and the chat’s current name, whatever is written later; `live: true` follows the chat (new pairs, renames). `expires_in_seconds` (60..31,536,000) ends it after that long; absent, it lasts until revoked (delete-share) or until the chat is deleted (with its subtree or tree), which ends its shares. The system prompt is shown only with `include_system_prompt: true` (frozen: the prompt as it is now). The `token` is returned only here; the server keeps its SHA-256 only. A chat that is missing, deleted or another account’s → 404. A share is no write to the tree: no tree version changes and no event is published. Rate limited as any write (1 point of the account’s budget; past it → 429 with Retry-After). The one POST that takes no `Idempotency-Key` (sent → 422, nothing made): a replay would need the answer, token included, kept for 24 hours, and the server keeps no token. A retry makes another share; revoke the one you do not use.
         */
        post: operations["createShare"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/shares/list-shares": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The account’s share links, newest first
         * @description Every unrevoked share of the account whose chat is live (of `chat_id` only, when given: a chat that is missing, deleted or another account’s → 404), newest first, expired ones included (`expired: true`). Paged by `limit` (1..100, default 50) and the opaque `next_cursor` (null on the last page; a cursor that is not one of ours → 422). Tokens are never listed.
         */
        get: operations["listShares"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/shares/delete-share": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke a share link
         * @description From the moment this answers, the link’s token is a 404 on every server instance (each public read asks the database, and its answers are sent with `Cache-Control: no-store`, so no HTTP cache keeps them). A share that is unknown, already revoked, of a deleted chat or of another account → 404. No write to the tree, no event. Rate limit: 1 point of the account’s write budget.
         */
        delete: operations["deleteShare"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/public/shares/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A shared history, without an account (public)
         * @description The visible history a share link shows, one page at a time, paged exactly like get-chat: no cursor, the first `limit` pairs (1..200, default 50: smaller than get-chat’s, as anyone may ask); `after=R`, the pairs after R; `before=R`, those just before R; `before=end`, the last page; `after` with `before` → 422; R outside the shared history → 404. A frozen share shows only the pairs it was made with (and the name it had then); a live one the chat as it is now. Nothing of the account is in it: no account id, email, chat ids, branches, start forks, generation details or usage, and the system prompt only when the owner included it. Needs no token; one sent is ignored. A token that was never issued, was revoked, has expired, or whose chat was deleted is the same 404, with the same detail (“No shared chat for this link: it never existed, was revoked, expired, or was deleted”). Answers carry `Cache-Control: no-store` and `Referrer-Policy: no-referrer`. Rate limit: PUBLIC_SHARE_RATE (default 120) reads per client address per minute (every read counts, a 404 too; counted across instances when REDIS_URL is set); past it → 429 with Retry-After.
         */
        get: operations["getPublicShare"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        ClientFrame: {
            /** @enum {string} */
            type: "subscribe";
            /**
             * Format: uuid
             * @description Any chat of the tree (the account’s own).
             */
            chat_id: string;
            /** @description Resume after this seq. */
            last_seq?: number;
            /** @description Echoed in the answer. */
            id?: string;
        } | {
            /** @enum {string} */
            type: "unsubscribe";
            /** Format: uuid */
            chat_id: string;
            id?: string;
        } | {
            /** @enum {string} */
            type: "ping";
            id?: string;
        };
        ServerFrame: {
            /** @enum {string} */
            type: "subscribed";
            /** Format: uuid */
            root_chat_id: string;
            /** Format: uuid */
            chat_id: string;
            /** @description The tree’s latest seq when the subscription started. */
            seq: number;
            id?: string;
        } | components["schemas"]["EventFrame"] | {
            /** @enum {string} */
            type: "resync";
            /** Format: uuid */
            root_chat_id: string;
            /** @description Reload the tree through REST (the events after `last_seq` are not kept, or are more than a resume may replay); live events continue after it. */
            seq: number;
        } | {
            /** @enum {string} */
            type: "unsubscribed";
            /** Format: uuid */
            root_chat_id: string;
            id?: string;
        } | {
            /** @enum {string} */
            type: "pong";
            id?: string;
        } | {
            /** @enum {string} */
            type: "error";
            id?: string;
            problem: {
                type: string;
                title: string;
                status: number;
                detail: string;
            };
        };
        EventFrame: {
            /** @enum {string} */
            type: "event";
            /** @enum {string} */
            event: "message.added" | "branch.created" | "branch.activated" | "chat.updated" | "chat.deleted" | "pair.feedback";
            /** Format: uuid */
            root_chat_id: string;
            /** @description Per tree: 1, 2, 3, … without gaps. */
            seq: number;
            /** Format: date-time */
            at: string;
            /** @description The REST object of the write: message.added → QAPair; branch.created → {chat, qa_pair} (create-branch); branch.activated → {root_chat_id, active_chat_id}; chat.updated → Chat; chat.deleted → {deleted_chat_ids}; pair.feedback → {response_id, chat_id, feedback} (set-feedback; chat_id: the chat that stores the pair). */
            data?: unknown;
        };
        Problem: {
            /** @example /problems/not-found */
            type: string;
            /** @example Not Found */
            title: string;
            /** @example 404 */
            status: number;
            /** @example Chat 0193… not found */
            detail: string;
            /** @description The request id (also sent as X-Request-Id). */
            instance: string;
            /** @description Field-level problems (422 only). */
            errors?: {
                path: string;
                message: string;
            }[];
        };
        Health: {
            /** @enum {string} */
            status: "ok";
        };
        Readiness: {
            /** @enum {string} */
            status: "ready" | "unavailable";
            checks: {
                [key: string]: "ok" | "degraded" | "failed";
            };
        };
        Token: {
            /** Format: uuid */
            account_id: string;
            /** @description HS256 JWT; send as `Authorization: Bearer <token>`. */
            token: string;
            /** @enum {string} */
            token_type: "Bearer";
            /** @description Seconds until the token expires. */
            expires_in: number;
        };
        Credentials: {
            /**
             * Format: email
             * @example ada@example.com
             */
            email: string;
            /** @example correct horse battery staple */
            password: string;
        };
        LoginCredentials: {
            /** @example ada@example.com */
            email: string;
            /** @example correct horse battery staple */
            password: string;
        };
        Chat: {
            /** Format: uuid */
            chat_id: string;
            /** Format: uuid */
            account_id: string;
            /** @enum {string} */
            chat_type: "main" | "branch";
            name: string;
            /**
             * Format: date-time
             * @example 2026-11-25T17:03:04.123Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-25T17:03:04.123Z
             */
            updated_at: string;
            /** @description Exactly one chat of each tree is active. */
            active: boolean;
            /** Format: uuid */
            root_chat_id: string;
            /** Format: uuid */
            parent_chat_id: string | null;
            /** Format: uuid */
            fork_response_id: string | null;
            /** @description Length of the whole visible history (inherited + own). */
            message_count: number;
            /** @description The conversation’s system prompt (the same for every chat of the tree), sent to the model before the history; null when there is none. Set with create-chat or update-chat. */
            system_prompt: string | null;
            /** @description On the root of a conversation made by fork-chat: the chat (and the pair of its history) it was copied from; null once that chat is deleted, and null on every other chat. */
            forked_from: {
                /** Format: uuid */
                chat_id: string;
                /**
                 * Format: uuid
                 * @description The last pair copied (null when the copied history was empty).
                 */
                response_id: string | null;
            } | null;
            /** @description The conversation is archived (the same on every chat of the tree): list-chats hides it unless asked (`archived=true` or `only`). Set with update-chat from any chat of the tree. */
            archived: boolean;
            /** @description The conversation is pinned (the same on every chat of the tree): list-chats lists pinned conversations first. Set with update-chat from any chat of the tree. */
            pinned: boolean;
        };
        CreateChatBody: {
            /**
             * @description Absent: "New chat", until the automatic title from the first question and answer.
             * @example Trip ideas
             */
            name?: string;
            /**
             * @description Sent to the model before the history, for every chat of this conversation.
             * @example You are a concise travel agent. Answer in at most three sentences.
             */
            system_prompt?: string;
        };
        ChatPage: {
            chat: components["schemas"]["ChatWithUsage"];
            /** @description The tree’s start forks (branches forking before its first pair: create-branch with `response_id` null, or regenerate of a first question), live ones only, oldest first, whatever the page. With the root, they are the alternatives of the first question, as a pair’s `branches` are the alternatives of the question that follows it. */
            start_branches: string[];
            qa_pairs: components["schemas"]["QAPair"][];
            has_more_before: boolean;
            has_more_after: boolean;
        };
        /** @description The Chat object with `usage`: the tokens of the generated answers over the chat’s whole visible history (inherited pairs included), whatever the page. */
        ChatWithUsage: components["schemas"]["Chat"] & {
            usage: components["schemas"]["Usage"];
        };
        /**
         * @description What the generated answers of a chat’s whole visible history (inherited pairs included) cost, in tokens: the sums of their `generation` counts. Pairs whose response the client gave, and counts an import did not say (null), add 0.
         * @example {
         *       "prompt_tokens": 1843,
         *       "completion_tokens": 412
         *     }
         */
        Usage: {
            /** @description Sum of the `generation.prompt_tokens` of the generated answers (a response the client gave counts 0). */
            prompt_tokens: number;
            /** @description Sum of the `generation.completion_tokens` of the generated answers (a response the client gave counts 0). */
            completion_tokens: number;
        };
        /** @description One question and its response. `type` is `text`, `code` (with `language`) or `link` (with `url`). */
        QAPair: {
            /** Format: uuid */
            response_id: string;
            /**
             * Format: uuid
             * @description The chat that stores the pair (an ancestor for an inherited pair).
             */
            chat_id: string;
            question: string;
            response: string;
            /**
             * Format: date-time
             * @example 2026-11-25T17:03:04.123Z
             */
            timestamp: string;
            /** @description Live branches forking right after this pair, oldest first. */
            branches: string[];
            /** @description The account’s thumbs up or down on the answer, with its comment (set-feedback); null when there is none, and on a pair just created (add-message, create-branch, regenerate and their events). */
            feedback: components["schemas"]["Feedback"] | null;
            generation: components["schemas"]["Generation"];
            /** @enum {string} */
            type: "text";
        } | {
            /** Format: uuid */
            response_id: string;
            /**
             * Format: uuid
             * @description The chat that stores the pair (an ancestor for an inherited pair).
             */
            chat_id: string;
            question: string;
            response: string;
            /**
             * Format: date-time
             * @example 2026-11-25T17:03:04.123Z
             */
            timestamp: string;
            /** @description Live branches forking right after this pair, oldest first. */
            branches: string[];
            /** @description The account’s thumbs up or down on the answer, with its comment (set-feedback); null when there is none, and on a pair just created (add-message, create-branch, regenerate and their events). */
            feedback: components["schemas"]["Feedback"] | null;
            generation: components["schemas"]["Generation"];
            /** @enum {string} */
            type: "code";
            language: string;
        } | {
            /** Format: uuid */
            response_id: string;
            /**
             * Format: uuid
             * @description The chat that stores the pair (an ancestor for an inherited pair).
             */
            chat_id: string;
            question: string;
            response: string;
            /**
             * Format: date-time
             * @example 2026-11-25T17:03:04.123Z
             */
            timestamp: string;
            /** @description Live branches forking right after this pair, oldest first. */
            branches: string[];
            /** @description The account’s thumbs up or down on the answer, with its comment (set-feedback); null when there is none, and on a pair just created (add-message, create-branch, regenerate and their events). */
            feedback: components["schemas"]["Feedback"] | null;
            generation: components["schemas"]["Generation"];
            /** @enum {string} */
            type: "link";
            url: string;
        };
        /** @description The account’s feedback on the answer (set-feedback). It belongs to the pair: every chat whose history shows the pair (inherited or own) shows the same feedback. */
        Feedback: {
            /**
             * @description Thumbs up or down.
             * @enum {string}
             */
            rating: "up" | "down";
            /**
             * @description null: no comment.
             * @example Clear and short.
             */
            comment: string | null;
            /**
             * Format: date-time
             * @description When the feedback was last set.
             * @example 2026-11-25T17:03:04.123Z
             */
            updated_at: string;
        };
        /** @description How the response was generated: the model, token counts (as the model reported them, else counted with the o200k_base tokenizer) and the responder’s latency. null when the client gave the response. Counts and latency are null where an imported conversation did not say. */
        Generation: {
            /** @example gpt-4o-mini-2024-07-18 */
            model: string;
            /** @description Tokens of the context sent. */
            prompt_tokens: number | null;
            /** @description Tokens of the answer. */
            completion_tokens: number | null;
            /** @description From asking the model to its last chunk, in milliseconds. */
            latency_ms: number | null;
        } | null;
        UpdateChatBody: {
            /**
             * Format: uuid
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            chat_id: string;
            /** @example Trip ideas */
            name?: string;
            /** @example You are a concise travel agent. Answer in at most three sentences. */
            system_prompt?: string | null;
            /** @description Archive (true) or unarchive (false) the conversation. */
            archived?: boolean;
            /** @description Pin (true) or unpin (false) the conversation. */
            pinned?: boolean;
        };
        DeleteChatResult: {
            deleted_chat_ids: string[];
        };
        ChatList: {
            chats: components["schemas"]["ConversationSummary"][];
            next_cursor: string | null;
        };
        ConversationSummary: components["schemas"]["Chat"] & {
            /** Format: uuid */
            active_chat_id: string;
            /** @description Live chats in the tree minus the root. */
            branch_count: number;
            /**
             * Format: date-time
             * @description Latest write anywhere in the tree.
             */
            last_activity_at: string;
        };
        TreeExport: {
            /** @enum {string} */
            format: "branchat.tree.v1";
            /** Format: date-time */
            exported_at: string;
            title: string;
            system_prompt: string | null;
            /** Format: uuid */
            root_chat_id: string;
            /** Format: uuid */
            active_chat_id: string;
            /** @description Every live chat of the tree: the root first, each chat after its parent. */
            chats: components["schemas"]["ExportedChat"][];
        };
        ExportedChat: {
            /** Format: uuid */
            chat_id: string;
            /** @enum {string} */
            chat_type: "main" | "branch";
            name: string;
            /** Format: uuid */
            parent_chat_id: string | null;
            /** Format: uuid */
            fork_response_id: string | null;
            active: boolean;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            /** @description The chat’s OWN pairs, in order (not the inherited ones). */
            qa_pairs: components["schemas"]["QAPair"][];
        };
        /**
         * @description The shape of a conversation in a ChatGPT data export (conversations.json holds an array of them). Exports from branchat add `branchat` keys (top level and in message metadata) so that branch names, empty branches, message types, generation details and feedback on answers survive a round trip; other importers ignore them.
         * @example {
         *       "title": "Trip ideas",
         *       "create_time": 1764090184.123,
         *       "current_node": "a1",
         *       "mapping": {
         *         "client-created-root": {
         *           "id": "client-created-root",
         *           "message": null,
         *           "parent": null,
         *           "children": [
         *             "q1"
         *           ]
         *         },
         *         "q1": {
         *           "id": "q1",
         *           "message": {
         *             "id": "q1",
         *             "author": {
         *               "role": "user"
         *             },
         *             "create_time": 1764090184.123,
         *             "content": {
         *               "content_type": "text",
         *               "parts": [
         *                 "Where should we go in March?"
         *               ]
         *             }
         *           },
         *           "parent": "client-created-root",
         *           "children": [
         *             "a1"
         *           ]
         *         },
         *         "a1": {
         *           "id": "a1",
         *           "message": {
         *             "id": "a1",
         *             "author": {
         *               "role": "assistant"
         *             },
         *             "create_time": 1764090186.5,
         *             "content": {
         *               "content_type": "text",
         *               "parts": [
         *                 "Lisbon: mild and sunny."
         *               ]
         *             },
         *             "metadata": {
         *               "model_slug": "gpt-4o"
         *             }
         *           },
         *           "parent": "q1",
         *           "children": []
         *         }
         *       }
         *     }
         */
        ChatGptConversation: {
            title?: string | null;
            /** @description Seconds since the epoch (milliseconds as decimals); null: unknown. */
            create_time?: number | null;
            /** @description Seconds since the epoch (milliseconds as decimals); null: unknown. */
            update_time?: number | null;
            /** @description Every node by its id: a tree of messages. */
            mapping: {
                [key: string]: {
                    id: string;
                    message?: components["schemas"]["ChatGptMessage"];
                    /** @description null for the root node only. */
                    parent: string | null;
                    children: string[];
                } & {
                    [key: string]: unknown;
                };
            };
            /** @description The last message of the current path (the active chat). */
            current_node?: string | null;
            conversation_id?: string | null;
            id?: string | null;
            /** @description The model of the most recent answer. */
            default_model_slug?: string | null;
            /** @description From branchat: every chat with its name and times, and the active chat. */
            branchat?: ({
                /** @enum {number} */
                version: 1;
                active_chat_id: string;
                /** @description Root first, every chat after its parent. */
                chats: ({
                    chat_id: string;
                    name: string;
                    /** @description null for the root chat only. */
                    parent_chat_id: string | null;
                    /** @description The assistant node of the parent’s pair after which this branch forks; null for the root, and for a start fork (a branch of the root that forks before its first pair). */
                    fork_response_id: string | null;
                    /**
                     * @description ISO 8601, years 1 to 9999.
                     * @example 2026-11-25T17:03:04.123Z
                     */
                    created_at: string;
                    /**
                     * @description ISO 8601, years 1 to 9999.
                     * @example 2026-11-25T17:03:04.123Z
                     */
                    updated_at: string;
                } & {
                    [key: string]: unknown;
                })[];
            } & {
                [key: string]: unknown;
            }) | null;
        } & {
            [key: string]: unknown;
        };
        /** @description A message. `user` and `assistant` messages become pairs; `system` may give the system prompt; tool messages, hidden messages and answers without text are skipped. */
        ChatGptMessage: ({
            id?: string;
            author: {
                /** @example user */
                role: string;
            } & {
                [key: string]: unknown;
            };
            /** @description Seconds since the epoch (milliseconds as decimals); null: unknown. */
            create_time?: number | null;
            content: {
                /** @example text */
                content_type: string;
                parts?: unknown[];
                /** @description The code, when content_type is `code`. */
                text?: unknown;
            } & {
                [key: string]: unknown;
            };
            metadata?: ({
                /** @description The model of an answer. */
                model_slug?: string | null;
                /** @description true: not imported (a hidden system or context message). */
                is_visually_hidden_from_conversation?: boolean | null;
                /** @description From branchat: the chat of the pair, its kind (questions), token counts and feedback (answers). */
                branchat?: ({
                    /** @description The branchat chat storing the pair. */
                    chat_id?: string | null;
                    /**
                     * @description What the pair holds; absent: text.
                     * @enum {string}
                     */
                    type?: "text" | "code" | "link";
                    /** @description A code pair’s language (code pairs only). */
                    language?: string | null;
                    /**
                     * Format: uri
                     * @description A link pair’s URL (link pairs only).
                     */
                    url?: string | null;
                } & {
                    [key: string]: unknown;
                }) | ({
                    /** @description The branchat chat storing the pair. */
                    chat_id?: string | null;
                    prompt_tokens?: number | null;
                    completion_tokens?: number | null;
                    latency_ms?: number | null;
                    /** @description Thumbs up or down, with an optional comment. */
                    feedback?: ({
                        /** @enum {string} */
                        rating: "up" | "down";
                        /** @description null, absent or "": no comment. */
                        comment?: string | null;
                        /**
                         * @description When it was last set; absent: the answer’s time.
                         * @example 2026-11-25T17:03:04.123Z
                         */
                        updated_at?: string;
                    } & {
                        [key: string]: unknown;
                    }) | null;
                } & {
                    [key: string]: unknown;
                }) | null;
            } & {
                [key: string]: unknown;
            }) | null;
        } & {
            [key: string]: unknown;
        }) | null;
        ImportResult: {
            conversations: {
                /** Format: uuid */
                root_chat_id: string;
                /** Format: uuid */
                active_chat_id: string;
                title: string;
                /** @description Chats created: the root and its branches. */
                chat_count: number;
                pair_count: number;
            }[];
            /** @description What the import changed or left out, one sentence each (e.g. times outside the stored-time window, moved to its nearest end). */
            notes: string[];
        };
        /**
         * @example {
         *       "chat": {
         *         "chat_id": "0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20",
         *         "account_id": "0193a4c0-0000-7000-8000-000000000001",
         *         "chat_type": "main",
         *         "name": "Trip ideas",
         *         "created_at": "2026-12-04T10:00:00.000Z",
         *         "updated_at": "2026-12-04T10:00:00.000Z",
         *         "active": true,
         *         "root_chat_id": "0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20",
         *         "parent_chat_id": null,
         *         "fork_response_id": null,
         *         "message_count": 3,
         *         "system_prompt": null,
         *         "forked_from": {
         *           "chat_id": "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
         *           "response_id": "0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a12"
         *         },
         *         "archived": false,
         *         "pinned": false
         *       },
         *       "active_chat_id": "0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20",
         *       "chat_count": 1,
         *       "pair_count": 3
         *     }
         */
        ForkChatResult: {
            chat: components["schemas"]["Chat"] & unknown;
            /**
             * Format: uuid
             * @description The new tree’s active chat: the copy of the source tree’s active chat if it came along, else the root.
             */
            active_chat_id: string;
            /** @description Chats created: the root and the copied branches. */
            chat_count: number;
            /** @description Pairs created, over all of them. */
            pair_count: number;
        };
        /**
         * @example {
         *       "chat_id": "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
         *       "response_id": "0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a12",
         *       "include_branches": true
         *     }
         */
        ForkChatBody: {
            /**
             * Format: uuid
             * @description The chat whose visible history is copied.
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            chat_id: string;
            /**
             * Format: uuid
             * @description The last pair copied, in the visible history of `chat_id`; absent: all of it.
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            response_id?: string;
            /**
             * @description The new root’s name. Default: the source chat’s.
             * @example Trip ideas
             */
            name?: string;
            /**
             * @description Also copy the branches below the copy point (see above).
             * @default false
             */
            include_branches?: boolean;
        };
        AddMessageBody: {
            /**
             * Format: uuid
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            chat_id: string;
            /** @example Where should we go in March? */
            question: string;
            /** @description Absent: the responder answers. Empty string: stored as an empty answer. */
            response?: string;
            /**
             * @description What the pair holds; absent → `text`.
             * @enum {string}
             */
            type?: "text";
        } | {
            /**
             * Format: uuid
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            chat_id: string;
            /** @example Where should we go in March? */
            question: string;
            /** @description Absent: the responder answers. Empty string: stored as an empty answer. */
            response?: string;
            /** @enum {string} */
            type: "code";
            /** @example typescript */
            language: string;
        } | {
            /**
             * Format: uuid
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            chat_id: string;
            /** @example Where should we go in March? */
            question: string;
            /** @description Absent: the responder answers. Empty string: stored as an empty answer. */
            response?: string;
            /** @enum {string} */
            type: "link";
            /**
             * Format: uri
             * @example https://example.org/guide
             */
            url: string;
        };
        SearchResults: {
            hits: components["schemas"]["SearchHit"][];
            next_cursor: string | null;
        };
        SearchHit: {
            /**
             * Format: uuid
             * @description The chat that stores the pair (as in QAPair.chat_id).
             */
            chat_id: string;
            /** Format: uuid */
            root_chat_id: string;
            /**
             * Format: uuid
             * @description The chat to load to see the pair in context: the `chat_id` searched (the pair may be inherited), else the chat that stores it. Then scroll to `response_id` (get-chat `after`/`before` pages around it).
             */
            open_chat_id: string;
            /** Format: uuid */
            response_id: string;
            /**
             * @description An extract of the question and response. HTML-escaped text in which each match is wrapped in `<mark>`…`</mark>`: safe to insert as HTML.
             * @example How do I fix a <mark>connection</mark> <mark>error</mark> in …
             */
            snippet: string;
            /** @description Relevance, higher is better. Depends on the store (PostgreSQL ts_rank, MongoDB textScore). */
            score: number;
            /** @enum {string} */
            type: "text" | "code" | "link";
            /** Format: date-time */
            timestamp: string;
        };
        FeedbackResult: {
            /** Format: uuid */
            response_id: string;
            /** @description What is stored now; null after a removal. */
            feedback: components["schemas"]["Feedback"] | null;
        };
        SetFeedbackBody: {
            /**
             * Format: uuid
             * @description The pair whose answer is rated (any pair of the account’s live chats).
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            response_id: string;
            /**
             * @description `up` or `down`; null removes the feedback (its comment too).
             * @enum {string|null}
             */
            rating: "up" | "down" | null;
            /**
             * @description At most 2,000 characters; absent, null or "": no comment. Only with a rating (with `rating: null` → 422).
             * @example Clear and short.
             */
            comment?: string | null;
        };
        CreateBranchResult: {
            chat: components["schemas"]["Chat"];
            qa_pair: {
                /** Format: uuid */
                response_id: string;
                /**
                 * Format: uuid
                 * @description The chat that stores the pair (an ancestor for an inherited pair).
                 */
                chat_id: string;
                question: string;
                response: string;
                /**
                 * Format: date-time
                 * @example 2026-11-25T17:03:04.123Z
                 */
                timestamp: string;
                /** @description Live branches forking right after this pair, oldest first. */
                branches: string[];
                /** @description The account’s thumbs up or down on the answer, with its comment (set-feedback); null when there is none, and on a pair just created (add-message, create-branch, regenerate and their events). */
                feedback: components["schemas"]["Feedback"] | null;
                generation: components["schemas"]["Generation"];
                /** @enum {string} */
                type: "text";
            } | {
                /** Format: uuid */
                response_id: string;
                /**
                 * Format: uuid
                 * @description The chat that stores the pair (an ancestor for an inherited pair).
                 */
                chat_id: string;
                question: string;
                response: string;
                /**
                 * Format: date-time
                 * @example 2026-11-25T17:03:04.123Z
                 */
                timestamp: string;
                /** @description Live branches forking right after this pair, oldest first. */
                branches: string[];
                /** @description The account’s thumbs up or down on the answer, with its comment (set-feedback); null when there is none, and on a pair just created (add-message, create-branch, regenerate and their events). */
                feedback: components["schemas"]["Feedback"] | null;
                generation: components["schemas"]["Generation"];
                /** @enum {string} */
                type: "code";
                language: string;
            } | {
                /** Format: uuid */
                response_id: string;
                /**
                 * Format: uuid
                 * @description The chat that stores the pair (an ancestor for an inherited pair).
                 */
                chat_id: string;
                question: string;
                response: string;
                /**
                 * Format: date-time
                 * @example 2026-11-25T17:03:04.123Z
                 */
                timestamp: string;
                /** @description Live branches forking right after this pair, oldest first. */
                branches: string[];
                /** @description The account’s thumbs up or down on the answer, with its comment (set-feedback); null when there is none, and on a pair just created (add-message, create-branch, regenerate and their events). */
                feedback: components["schemas"]["Feedback"] | null;
                generation: components["schemas"]["Generation"];
                /** @enum {string} */
                type: "link";
                url: string;
            } | null;
        };
        CreateBranchBody: {
            /**
             * Format: uuid
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            chat_id: string;
            /**
             * Format: uuid
             * @description The pair to fork after (in `chat_id`’s visible history, else 404); null or absent: before the first pair of the tree (a start fork).
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            response_id?: string | null;
            /**
             * @description Default: the first `question` on one line, shortened to 60 characters (code points) with an ellipsis; without a question, the source chat’s name + " (branch)".
             * @example Trip ideas
             */
            name?: string;
            /** @example Where should we go in March? */
            question?: string;
            /** @description Absent: the responder answers. Empty string: stored as an empty answer. */
            response?: string;
            /** @default true */
            activate?: boolean;
            /**
             * @description What the pair holds; absent → `text`.
             * @enum {string}
             */
            type?: "text";
        } | {
            /**
             * Format: uuid
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            chat_id: string;
            /**
             * Format: uuid
             * @description The pair to fork after (in `chat_id`’s visible history, else 404); null or absent: before the first pair of the tree (a start fork).
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            response_id?: string | null;
            /**
             * @description Default: the first `question` on one line, shortened to 60 characters (code points) with an ellipsis; without a question, the source chat’s name + " (branch)".
             * @example Trip ideas
             */
            name?: string;
            /** @example Where should we go in March? */
            question?: string;
            /** @description Absent: the responder answers. Empty string: stored as an empty answer. */
            response?: string;
            /** @default true */
            activate?: boolean;
            /** @enum {string} */
            type: "code";
            /** @example typescript */
            language: string;
        } | {
            /**
             * Format: uuid
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            chat_id: string;
            /**
             * Format: uuid
             * @description The pair to fork after (in `chat_id`’s visible history, else 404); null or absent: before the first pair of the tree (a start fork).
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            response_id?: string | null;
            /**
             * @description Default: the first `question` on one line, shortened to 60 characters (code points) with an ellipsis; without a question, the source chat’s name + " (branch)".
             * @example Trip ideas
             */
            name?: string;
            /** @example Where should we go in March? */
            question?: string;
            /** @description Absent: the responder answers. Empty string: stored as an empty answer. */
            response?: string;
            /** @default true */
            activate?: boolean;
            /** @enum {string} */
            type: "link";
            /**
             * Format: uri
             * @example https://example.org/guide
             */
            url: string;
        };
        BranchTree: {
            /** Format: uuid */
            root_chat_id: string;
            /** Format: uuid */
            active_chat_id: string;
            count: number;
            tree: components["schemas"]["TreeNode"];
        };
        TreeNode: {
            /** Format: uuid */
            chat_id: string;
            name: string;
            /** @enum {string} */
            chat_type: "main" | "branch";
            /** Format: uuid */
            parent_chat_id: string | null;
            /** Format: uuid */
            fork_response_id: string | null;
            active: boolean;
            message_count: number;
            /** @description Tokens of the generated answers in this chat’s visible history. Null only when the content store cannot be read at the moment: the tree is still answered (it is metadata), without an ETag and not cached. */
            usage: components["schemas"]["Usage"] | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            /** @description Oldest first. */
            children: components["schemas"]["TreeNode"][];
        };
        ActiveBranch: {
            /** Format: uuid */
            root_chat_id: string;
            /** Format: uuid */
            active_chat_id: string;
        };
        SetActiveBranchBody: {
            /**
             * Format: uuid
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            chat_id: string;
        };
        /**
         * @example {
         *       "response_id": "0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a12"
         *     }
         */
        RegenerateBody: {
            /**
             * Format: uuid
             * @description The pair whose question is asked again.
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            response_id: string;
            /** @default true */
            activate?: boolean;
        };
        /**
         * @example {
         *       "chat_id": "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
         *       "other_chat_id": "0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20",
         *       "common_count": 2,
         *       "last_shared": {
         *         "response_id": "0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a02",
         *         "chat_id": "0193a4c0-0000-7000-8000-00000000000a",
         *         "question": "Question 2",
         *         "response": "Answer 2",
         *         "timestamp": "2026-12-04T10:02:00.000Z",
         *         "branches": [
         *           "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
         *           "0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20"
         *         ],
         *         "feedback": {
         *           "rating": "up",
         *           "comment": null,
         *           "updated_at": "2026-12-04T10:05:00.000Z"
         *         },
         *         "generation": null,
         *         "type": "text"
         *       },
         *       "tails": {
         *         "chat": {
         *           "qa_pairs": [
         *             {
         *               "response_id": "0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a03",
         *               "chat_id": "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
         *               "question": "Question 3",
         *               "response": "Answer 3",
         *               "timestamp": "2026-12-04T10:03:00.000Z",
         *               "branches": [],
         *               "feedback": null,
         *               "generation": {
         *                 "model": "gpt-4o-mini-2024-07-18",
         *                 "prompt_tokens": 360,
         *                 "completion_tokens": 40,
         *                 "latency_ms": 900
         *               },
         *               "type": "text"
         *             }
         *           ],
         *           "has_more_after": false,
         *           "next_after": null,
         *           "totals": {
         *             "pairs": 1,
         *             "prompt_tokens": 360,
         *             "completion_tokens": 40,
         *             "feedback": {
         *               "up": 1,
         *               "down": 0
         *             }
         *           }
         *         },
         *         "other": {
         *           "qa_pairs": [
         *             {
         *               "response_id": "0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a04",
         *               "chat_id": "0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20",
         *               "question": "Question 4",
         *               "response": "Answer 4",
         *               "timestamp": "2026-12-04T10:04:00.000Z",
         *               "branches": [],
         *               "feedback": null,
         *               "generation": {
         *                 "model": "gpt-4o-mini-2024-07-18",
         *                 "prompt_tokens": 480,
         *                 "completion_tokens": 40,
         *                 "latency_ms": 900
         *               },
         *               "type": "text"
         *             }
         *           ],
         *           "has_more_after": true,
         *           "next_after": "0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a04",
         *           "totals": {
         *             "pairs": 2,
         *             "prompt_tokens": 1000,
         *             "completion_tokens": 80,
         *             "feedback": {
         *               "up": 0,
         *               "down": 1
         *             }
         *           }
         *         }
         *       }
         *     }
         */
        BranchComparison: {
            /** Format: uuid */
            chat_id: string;
            /** Format: uuid */
            other_chat_id: string;
            /** @description Length of the common prefix: how many pairs, from the start, both visible histories show (the same pairs). */
            common_count: number;
            /** @description The pair at position `common_count`, the last one both histories show (where they part ways); null when they share none. */
            last_shared: {
                /** Format: uuid */
                response_id: string;
                /**
                 * Format: uuid
                 * @description The chat that stores the pair (an ancestor for an inherited pair).
                 */
                chat_id: string;
                question: string;
                response: string;
                /**
                 * Format: date-time
                 * @example 2026-11-25T17:03:04.123Z
                 */
                timestamp: string;
                /** @description Live branches forking right after this pair, oldest first. */
                branches: string[];
                /** @description The account’s thumbs up or down on the answer, with its comment (set-feedback); null when there is none, and on a pair just created (add-message, create-branch, regenerate and their events). */
                feedback: components["schemas"]["Feedback"] | null;
                generation: components["schemas"]["Generation"];
                /** @enum {string} */
                type: "text";
            } | {
                /** Format: uuid */
                response_id: string;
                /**
                 * Format: uuid
                 * @description The chat that stores the pair (an ancestor for an inherited pair).
                 */
                chat_id: string;
                question: string;
                response: string;
                /**
                 * Format: date-time
                 * @example 2026-11-25T17:03:04.123Z
                 */
                timestamp: string;
                /** @description Live branches forking right after this pair, oldest first. */
                branches: string[];
                /** @description The account’s thumbs up or down on the answer, with its comment (set-feedback); null when there is none, and on a pair just created (add-message, create-branch, regenerate and their events). */
                feedback: components["schemas"]["Feedback"] | null;
                generation: components["schemas"]["Generation"];
                /** @enum {string} */
                type: "code";
                language: string;
            } | {
                /** Format: uuid */
                response_id: string;
                /**
                 * Format: uuid
                 * @description The chat that stores the pair (an ancestor for an inherited pair).
                 */
                chat_id: string;
                question: string;
                response: string;
                /**
                 * Format: date-time
                 * @example 2026-11-25T17:03:04.123Z
                 */
                timestamp: string;
                /** @description Live branches forking right after this pair, oldest first. */
                branches: string[];
                /** @description The account’s thumbs up or down on the answer, with its comment (set-feedback); null when there is none, and on a pair just created (add-message, create-branch, regenerate and their events). */
                feedback: components["schemas"]["Feedback"] | null;
                generation: components["schemas"]["Generation"];
                /** @enum {string} */
                type: "link";
                url: string;
            } | null;
            /** @description `chat`: what `chat_id`’s history holds after the common prefix; `other`: what `other_chat_id`’s holds. */
            tails: {
                chat: components["schemas"]["ComparisonTail"];
                other: components["schemas"]["ComparisonTail"];
            };
        };
        /** @description The part of one chat’s visible history after the common prefix. */
        ComparisonTail: {
            /** @description One page of the tail, in conversation order (at most `limit`). */
            qa_pairs: components["schemas"]["QAPair"][];
            /** @description The tail goes on after this page. */
            has_more_after: boolean;
            /**
             * Format: uuid
             * @description The cursor of the tail’s next page (its last pair here; give it as `after`, or `other_after` for the other tail), null when the tail has no more.
             */
            next_after: string | null;
            totals: components["schemas"]["TailTotals"];
        };
        /** @description Over the whole tail, not only this page: its pairs, the tokens of its generated answers (pairs whose `generation` is null, and null counts, add 0) and the feedback on its answers. */
        TailTotals: {
            /** @description Pairs in the whole tail (every page of it). */
            pairs: number;
            /** @description Sum of the `generation.prompt_tokens` of the generated answers (a response the client gave counts 0). */
            prompt_tokens: number;
            /** @description Sum of the `generation.completion_tokens` of the generated answers (a response the client gave counts 0). */
            completion_tokens: number;
            feedback: components["schemas"]["FeedbackCounts"];
        };
        /** @description How many answers of the whole tail the account rated up and down (set-feedback). */
        FeedbackCounts: {
            /** @description Answers of the tail rated up. */
            up: number;
            /** @description Answers of the tail rated down. */
            down: number;
        };
        /**
         * @example {
         *       "share_id": "0193a7e2-3c4d-7a1b-8e2f-4a5b6c7d8e9f",
         *       "token": "q3V8xk2Jd0Zc1mWf5bT7yHn4sPa9uLe6rGiO2vXw8kE",
         *       "url": "https://branchat.example.org/app/s/q3V8xk2Jd0Zc1mWf5bT7yHn4sPa9uLe6rGiO2vXw8kE",
         *       "chat_id": "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
         *       "live": false,
         *       "include_system_prompt": false,
         *       "pair_count": 3,
         *       "expires_at": "2026-12-11T10:00:00.000Z",
         *       "created_at": "2026-12-04T10:00:00.000Z"
         *     }
         */
        CreatedShare: {
            /** Format: uuid */
            share_id: string;
            /**
             * Format: uuid
             * @description The shared chat.
             */
            chat_id: string;
            /** @description true: follows the chat; false: frozen when it was made. */
            live: boolean;
            /** @description Whether the public read shows the conversation’s system prompt. */
            include_system_prompt: boolean;
            /** @description Frozen: how many pairs of the visible history it shows (its length when made). Live: null. */
            pair_count: number | null;
            /**
             * Format: date-time
             * @description When the link stops working; null: never.
             * @example 2026-12-04T10:00:00.000Z
             */
            expires_at: string | null;
            /**
             * Format: date-time
             * @example 2026-12-04T10:00:00.000Z
             */
            created_at: string;
            /** @description The secret of the link: 32 random bytes (256 bits), base64url. Shown only here, once; only its SHA-256 is stored. Anyone holding it reads the shared history. */
            token: string;
            /**
             * Format: uri
             * @description The demo app’s read-only page of the share: `<PUBLIC_URL or this request’s origin>/app/s/<token>`.
             */
            url: string;
        };
        /**
         * @example {
         *       "chat_id": "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
         *       "live": false,
         *       "expires_in_seconds": 604800
         *     }
         */
        CreateShareBody: {
            /**
             * Format: uuid
             * @description The chat whose visible history is shared.
             * @example 0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e
             */
            chat_id: string;
            /**
             * @description false: frozen now; true: follows the chat.
             * @default false
             */
            live?: boolean;
            /** @description The link ends this many seconds from now (a minute to a year); absent: never. */
            expires_in_seconds?: number;
            /**
             * @description Show the conversation’s system prompt to the link’s readers.
             * @default false
             */
            include_system_prompt?: boolean;
        };
        ShareList: {
            shares: components["schemas"]["Share"][];
            next_cursor: string | null;
        };
        /**
         * @description A share link as its owner sees it (the token itself is never shown again).
         * @example {
         *       "share_id": "0193a7e2-3c4d-7a1b-8e2f-4a5b6c7d8e9f",
         *       "chat_id": "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
         *       "live": false,
         *       "include_system_prompt": false,
         *       "pair_count": 3,
         *       "expires_at": null,
         *       "created_at": "2026-12-04T10:00:00.000Z",
         *       "expired": false
         *     }
         */
        Share: {
            /** Format: uuid */
            share_id: string;
            /**
             * Format: uuid
             * @description The shared chat.
             */
            chat_id: string;
            /** @description true: follows the chat; false: frozen when it was made. */
            live: boolean;
            /** @description Whether the public read shows the conversation’s system prompt. */
            include_system_prompt: boolean;
            /** @description Frozen: how many pairs of the visible history it shows (its length when made). Live: null. */
            pair_count: number | null;
            /**
             * Format: date-time
             * @description When the link stops working; null: never.
             * @example 2026-12-04T10:00:00.000Z
             */
            expires_at: string | null;
            /**
             * Format: date-time
             * @example 2026-12-04T10:00:00.000Z
             */
            created_at: string;
            /** @description The link has expired (it answers 404; revoke it to drop it). */
            expired: boolean;
        };
        /**
         * @example {
         *       "share_id": "0193a7e2-3c4d-7a1b-8e2f-4a5b6c7d8e9f",
         *       "revoked_at": "2026-12-05T08:30:00.000Z"
         *     }
         */
        DeleteShareResult: {
            /** Format: uuid */
            share_id: string;
            /**
             * Format: date-time
             * @example 2026-12-04T10:00:00.000Z
             */
            revoked_at: string;
        };
        /**
         * @example {
         *       "share": {
         *         "name": "Trip ideas",
         *         "live": false,
         *         "created_at": "2026-12-04T10:00:00.000Z",
         *         "expires_at": null,
         *         "system_prompt": null
         *       },
         *       "qa_pairs": [
         *         {
         *           "response_id": "0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a01",
         *           "question": "Where should we go in March?",
         *           "response": "Lisbon: mild and sunny.",
         *           "timestamp": "2026-12-04T09:58:00.000Z",
         *           "type": "text"
         *         }
         *       ],
         *       "has_more_before": false,
         *       "has_more_after": false
         *     }
         */
        SharedPage: {
            share: components["schemas"]["SharedChat"];
            qa_pairs: components["schemas"]["SharedPair"][];
            has_more_before: boolean;
            has_more_after: boolean;
        };
        SharedChat: {
            /** @description The chat’s name (frozen: its name when the share was made). */
            name: string;
            live: boolean;
            /**
             * Format: date-time
             * @example 2026-12-04T10:00:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-12-04T10:00:00.000Z
             */
            expires_at: string | null;
            /** @description Only when the owner included it (frozen: as it was then); else null. */
            system_prompt: string | null;
        };
        /** @description A pair as a share shows it: its question and response, time and type (`language` for code, `url` for a link). No chat id, branches or generation details. */
        SharedPair: {
            /**
             * Format: uuid
             * @description The cursor of `after` / `before`.
             */
            response_id: string;
            question: string;
            response: string;
            /**
             * Format: date-time
             * @example 2026-12-04T10:00:00.000Z
             */
            timestamp: string;
            /** @enum {string} */
            type: "text";
        } | {
            /**
             * Format: uuid
             * @description The cursor of `after` / `before`.
             */
            response_id: string;
            question: string;
            response: string;
            /**
             * Format: date-time
             * @example 2026-12-04T10:00:00.000Z
             */
            timestamp: string;
            /** @enum {string} */
            type: "code";
            language: string;
        } | {
            /**
             * Format: uuid
             * @description The cursor of `after` / `before`.
             */
            response_id: string;
            question: string;
            response: string;
            /**
             * Format: date-time
             * @example 2026-12-04T10:00:00.000Z
             */
            timestamp: string;
            /** @enum {string} */
            type: "link";
            url: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    eventSocket: {
        parameters: {
            query?: {
                /** @description The JWT, when no header can be set. */
                token?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Switching Protocols: the socket is open */
            101: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A `bearer.` subprotocol offered without `branchat.v1`, or an invalid handshake */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not a WebSocket upgrade request */
            426: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not available on this runtime */
            501: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Alive */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store does not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
    register: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Credentials"];
            };
        };
        responses: {
            /** @description The new account and a token */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Token"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginCredentials"];
            };
        };
        responses: {
            /** @description A token */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Token"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createChat: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes the POST safe to retry (kept 24 h, per account): the same key and body replay the first answer (with `Idempotent-Replayed: true`) and store nothing new; another body → 422; while the first call runs (however long) → 409. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateChatBody"];
            };
        };
        responses: {
            /** @description The new root chat (active, no messages) */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Chat"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getChat: {
        parameters: {
            query: {
                chat_id: string;
                /** @description Page size, 1..1000 (out of range → 422). Digits only. */
                limit?: number;
                /** @description A response_id of the visible history. */
                after?: string;
                /** @description A response_id of the visible history, or `end`. */
                before?: "end" | string;
            };
            header?: {
                /** @description ETags from earlier get-chat answers for this URL (a comma-separated list), or `*`: 304 with no body when one is the current one (weak comparison, RFC 9110 §13.1.2: a `W/` prefix is ignored). */
                "if-none-match"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The chat and a page of pairs */
            200: {
                headers: {
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChatPage"];
                };
            };
            /** @description Not Modified: the page is the one the `If-None-Match` tag was sent with (no body) */
            304: {
                headers: {
                    ETag: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateChat: {
        parameters: {
            query?: never;
            header?: {
                /** @description An ETag from get-chat or update-chat, a comma-separated list of them, or `*` (any existing chat). Compared strongly (RFC 9110 §13.1.1): a weak `W/"…"` tag never matches, and a quoted `"*"` is a tag like any other. Stale, weak only, or malformed (neither `*` nor a list of entity tags) → 412. */
                "if-match"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateChatBody"];
            };
        };
        responses: {
            /** @description The updated chat (later `updated_at`) */
            200: {
                headers: {
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Chat"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description If-Match matches no current entity tag (stale, weak or malformed) */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteChat: {
        parameters: {
            query: {
                chat_id: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The chats this call deleted (the chat first, then its descendants, oldest first) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeleteChatResult"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listChats: {
        parameters: {
            query?: {
                /** @description Page size, 1..100. Digits only. */
                limit?: number;
                /** @description Opaque; from `next_cursor`. */
                cursor?: string;
                /** @description `false` (default): archived conversations are left out; `true`: they are listed too; `only`: only they are. */
                archived?: "false" | "true" | "only";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One entry per live conversation tree */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "chats": [
                     *         {
                     *           "chat_id": "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
                     *           "account_id": "0193a4c0-0000-7000-8000-000000000001",
                     *           "chat_type": "main",
                     *           "name": "Trip ideas",
                     *           "created_at": "2026-11-30T08:00:00.000Z",
                     *           "updated_at": "2026-12-01T09:00:00.000Z",
                     *           "active": true,
                     *           "root_chat_id": "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
                     *           "parent_chat_id": null,
                     *           "fork_response_id": null,
                     *           "message_count": 2,
                     *           "system_prompt": null,
                     *           "forked_from": null,
                     *           "archived": false,
                     *           "pinned": true,
                     *           "active_chat_id": "0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e",
                     *           "branch_count": 0,
                     *           "last_activity_at": "2026-12-01T09:00:00.000Z"
                     *         },
                     *         {
                     *           "chat_id": "0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20",
                     *           "account_id": "0193a4c0-0000-7000-8000-000000000001",
                     *           "chat_type": "main",
                     *           "name": "Packing list for Porto",
                     *           "created_at": "2026-11-30T08:00:00.000Z",
                     *           "updated_at": "2026-12-04T18:30:00.000Z",
                     *           "active": true,
                     *           "root_chat_id": "0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20",
                     *           "parent_chat_id": null,
                     *           "fork_response_id": null,
                     *           "message_count": 2,
                     *           "system_prompt": null,
                     *           "forked_from": null,
                     *           "archived": false,
                     *           "pinned": false,
                     *           "active_chat_id": "0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20",
                     *           "branch_count": 0,
                     *           "last_activity_at": "2026-12-04T18:30:00.000Z"
                     *         }
                     *       ],
                     *       "next_cursor": "WzE3OTY0MDkwMDAwMDAsIjAxOTNhNmQwLTFjMmItN2U0Zi04YTkwLTNiNWM3ZDllMWYyMCIsMF0"
                     *     }
                     */
                    "application/json": components["schemas"]["ChatList"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    exportChat: {
        parameters: {
            query: {
                chat_id: string;
                /** @description json (default), markdown or chatgpt. */
                format?: "json" | "markdown" | "chatgpt";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The export, with a Content-Disposition file name */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TreeExport"] | components["schemas"]["ChatGptConversation"];
                    "text/markdown": string;
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    importChat: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes the POST safe to retry (kept 24 h, per account): the same key and body replay the first answer (with `Idempotent-Replayed: true`) and store nothing new; another body → 422; while the first call runs (however long) → 409. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": (Record<string, never> | unknown[]) & (components["schemas"]["ChatGptConversation"] | components["schemas"]["ChatGptConversation"][]);
            };
        };
        responses: {
            /** @description The conversations created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportResult"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    forkChat: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes the POST safe to retry (kept 24 h, per account): the same key and body replay the first answer (with `Idempotent-Replayed: true`) and store nothing new; another body → 422; while the first call runs (however long) → 409. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ForkChatBody"];
            };
        };
        responses: {
            /** @description The new conversation */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ForkChatResult"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    addMessage: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes the POST safe to retry (kept 24 h, per account): the same key and body replay the first answer (with `Idempotent-Replayed: true`) and store nothing new; another body → 422; while the first call runs (however long) → 409. */
                "idempotency-key"?: string;
                /** @description `text/event-stream`: stream the answer as server-sent events (200) instead of JSON (201). */
                accept?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AddMessageBody"];
            };
        };
        responses: {
            /** @description With `Accept: text/event-stream`: server-sent events. `event: delta` with `data: {"text": "…"}` as the answer arrives (their concatenation is the stored response), then exactly one `event: done` whose data is the stored QAPair (as the JSON answer), or one `event: error` whose data is a Problem (502/504/503/500) and then nothing was stored. Lines starting with `:` are keep-alive comments. A client that disconnects before `done` cancels the generation; nothing is stored. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description The stored pair */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QAPair"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The model endpoint failed or refused the request */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The model endpoint did not answer in time */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchMessages: {
        parameters: {
            query: {
                /** @description Words to find (1..200 characters, at least one letter or digit). */
                q: string;
                chat_id?: string;
                /** @description Hits per page, 1..100. Digits only. */
                limit?: number;
                /** @description Opaque; from `next_cursor` of the same search. */
                cursor?: string;
                /** @description `true` (default): archived conversations are searched too; `false`: they are left out; `only`: only they are searched (with `chat_id`, a chat outside the scope has no hits). */
                archived?: "false" | "true" | "only";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of hits, best first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchResults"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setFeedback: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetFeedbackBody"];
            };
        };
        responses: {
            /** @description The feedback as stored now */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FeedbackResult"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createBranch: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes the POST safe to retry (kept 24 h, per account): the same key and body replay the first answer (with `Idempotent-Replayed: true`) and store nothing new; another body → 422; while the first call runs (however long) → 409. */
                "idempotency-key"?: string;
                /** @description `text/event-stream`: stream the answer as server-sent events (200) instead of JSON (201). */
                accept?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateBranchBody"];
            };
        };
        responses: {
            /** @description With `Accept: text/event-stream`: server-sent events. `event: delta` with `data: {"text": "…"}` as the answer arrives (their concatenation is the stored response), then exactly one `event: done` whose data is the same `{chat, qa_pair}` as the JSON answer (the branch exists only from then on), or one `event: error` whose data is a Problem (502/504/503/500) and then nothing was stored. Lines starting with `:` are keep-alive comments. A client that disconnects before `done` cancels the generation; nothing is stored. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description The new branch, and its first pair when `question` was given */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreateBranchResult"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The model endpoint failed or refused the request */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The model endpoint did not answer in time */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getBranches: {
        parameters: {
            query: {
                /** @description Any chat of the tree. */
                chat_id: string;
            };
            header?: {
                /** @description ETags from earlier get-branches answers for this URL (a comma-separated list), or `*`: 304 with no body when one is the current one (weak comparison, RFC 9110 §13.1.2: a `W/` prefix is ignored). */
                "if-none-match"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tree from its root; `count` is the number of live chats, root included */
            200: {
                headers: {
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BranchTree"];
                };
            };
            /** @description Not Modified: the tree is the one the `If-None-Match` tag was sent with (no body) */
            304: {
                headers: {
                    ETag: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setActiveBranch: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetActiveBranchBody"];
            };
        };
        responses: {
            /** @description The tree’s active chat */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActiveBranch"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    regenerate: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes the POST safe to retry (kept 24 h, per account): the same key and body replay the first answer (with `Idempotent-Replayed: true`) and store nothing new; another body → 422; while the first call runs (however long) → 409. */
                "idempotency-key"?: string;
                /** @description `text/event-stream`: stream the answer as server-sent events (200) instead of JSON (201). */
                accept?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RegenerateBody"];
            };
        };
        responses: {
            /** @description With `Accept: text/event-stream`: server-sent events. `event: delta` with `data: {"text": "…"}` as the answer arrives (their concatenation is the stored response), then exactly one `event: done` whose data is the same `{chat, qa_pair}` as the JSON answer (the branch exists only from then on), or one `event: error` whose data is a Problem (502/504/503/500) and then nothing was stored. Lines starting with `:` are keep-alive comments. A client that disconnects before `done` cancels the generation; nothing is stored. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description The new branch and its first pair (the question with the new answer) */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreateBranchResult"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The model endpoint failed or refused the request */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The model endpoint did not answer in time */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    compareBranches: {
        parameters: {
            query: {
                chat_id: string;
                /** @description Another chat (or the same one) of the same tree. */
                other_chat_id: string;
                /** @description Page size of each tail, 1..1000 (out of range → 422). Digits only. */
                limit?: number;
                /** @description A response_id of `chat_id`’s tail: its page starts after it. */
                after?: string;
                /** @description A response_id of `other_chat_id`’s tail: its page starts after it. */
                other_after?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The common prefix, and a page of each tail */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BranchComparison"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createShare: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateShareBody"];
            };
        };
        responses: {
            /** @description The share, with its token (shown only this once) */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedShare"];
                };
            };
            /** @description Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listShares: {
        parameters: {
            query?: {
                /** @description Only the shares of this chat. */
                chat_id?: string;
                /** @description Page size, 1..100. Digits only. */
                limit?: number;
                /** @description Opaque; from `next_cursor`. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of the account’s shares */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareList"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteShare: {
        parameters: {
            query: {
                share_id: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The share, revoked */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeleteShareResult"];
                };
            };
            /** @description Missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getPublicShare: {
        parameters: {
            query?: {
                /** @description Page size, 1..200 (out of range → 422). Digits only. */
                limit?: number;
                /** @description A response_id of the shared history. */
                after?: string;
                /** @description A response_id of the shared history, or `end`. */
                before?: "end" | string;
            };
            header?: never;
            path: {
                /** @description The token create-share returned. */
                token: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The shared chat and a page of its pairs */
            200: {
                headers: {
                    "Cache-Control": string;
                    "Referrer-Policy": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SharedPage"];
                };
            };
            /** @description Not found, deleted, or another account’s */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Validation failed (see `errors`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (no internals disclosed) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A backing store is down (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
