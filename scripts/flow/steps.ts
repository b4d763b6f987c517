/**
 * The Flow, written once: every step of the walk through the API (register → login → a chat, two pairs, a branch,
 * the tree, a share link read without a token, search, If-Match, a system prompt, pin, an untitled conversation and
 * its title, archive, a streamed answer, export and import, revoking the share, delete, error cases) as data.
 * From it scripts/postman.ts generates the collection's "Flow" folder (requests, pre-request and test scripts) and
 * postman/flow.http (VS Code REST Client); scripts/flow/run.ts runs it against a server (`npm run flow`).
 *
 * - `{{name}}` in a path parameter, a query value, a header, the body or `rawBody` is a variable: a constant of FLOW_CONSTANTS, a
 *   value made before a step (`generate`), or one captured from an earlier answer (`capture`).
 * - `checks`, by label: JavaScript expressions over the answer. A string must be `true`; a pair
 *   `[actual, expected]` must be deeply equal. In scope: `body` (the parsed JSON, for `response: 'json'`), `text`
 *   (the raw body), `events` (for `response: 'sse'`: `{ event, data }` with `data` parsed), `header(name)`, and
 *   `vars` (the variables, as strings).
 * - `capture`: variable ← `body.<path>` (e.g. `body.chat.chat_id`, `body.conversations[0].root_chat_id`),
 *   `header.<Name>`, or `text` (the whole body).
 */

export type Check = string | readonly [actual: string, expected: string];

export interface FlowStep {
  /** A name for references (REST Client's `# @name`), and the source of the step's stable id. */
  id: string;
  /** The request's title (numbered in order by the generators). */
  title: string;
  operationId: string;
  description: string;
  /** Values of the operation's path parameters (`{token}` in its path), by name. */
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** A JSON body (strings may hold `{{variables}}`). */
  body?: Record<string, unknown>;
  /** A body sent as this text, once its variables are replaced (e.g. a variable holding a whole document). */
  rawBody?: string;
  /** Sends no Authorization header, whatever the operation's security says. */
  anonymous?: boolean;
  /** Variables made before the request: JavaScript (Postman, the runner) and REST Client text (flow.http). */
  generate?: Record<string, { js: string; http: string }>;
  status: number;
  /** How the answer is read: JSON (default), text, or server-sent events. */
  response?: 'json' | 'text' | 'sse';
  checks: Record<string, readonly Check[]>;
  capture?: Record<string, string>;
}

/** Variables with a value from the start. */
export const FLOW_CONSTANTS: Record<string, string> = { password: 'correct horse battery staple' };

export const FLOW: readonly FlowStep[] = [
  {
    id: 'register',
    title: 'register',
    operationId: 'register',
    description: 'A new account with a fresh email (made before the request, so the flow can run again).',
    generate: {
      email: {
        js: "'flow-' + Date.now() + '-' + Math.floor(Math.random() * 1e9) + '@example.com'",
        http: 'flow-{{$timestamp}}-{{$randomInt 0 1000000}}@example.com',
      },
    },
    body: { email: '{{email}}', password: '{{password}}' },
    status: 201,
    checks: {
      'a bearer token for the new account': [
        ['body.token_type', "'Bearer'"],
        "typeof body.token === 'string' && body.token.length > 0",
        '/^[0-9a-f-]{36}$/.test(body.account_id)',
      ],
    },
    capture: { account_id: 'body.account_id' },
  },
  {
    id: 'login',
    title: 'login',
    operationId: 'login',
    description: 'Exchanges the same email and password for a token, saved as `token` (used from here on).',
    body: { email: '{{email}}', password: '{{password}}' },
    status: 200,
    checks: {
      'a token for the same account': [
        ['body.token_type', "'Bearer'"],
        ['body.account_id', 'vars.account_id'],
        'body.expires_in > 0',
      ],
    },
    capture: { token: 'body.token' },
  },
  {
    id: 'createChat',
    title: 'create-chat',
    operationId: 'createChat',
    description: 'A new conversation: its root chat, saved as `chat_id`.',
    body: { name: 'Trip ideas' },
    status: 201,
    checks: {
      'an active, empty root chat': [
        ['body.chat_type', "'main'"],
        ['body.active', 'true'],
        ['body.message_count', '0'],
        ['body.root_chat_id', 'body.chat_id'],
        ['body.parent_chat_id', 'null'],
      ],
    },
    capture: { chat_id: 'body.chat_id' },
  },
  {
    id: 'firstPair',
    title: 'add-message (first pair)',
    operationId: 'addMessage',
    description: 'A question with its response; the pair is saved as `response_id_1`.',
    body: { chat_id: '{{chat_id}}', question: 'Where should we go in March?', response: 'Lisbon: mild and sunny.' },
    status: 201,
    checks: {
      'the pair, stored in the chat': [
        ['body.chat_id', 'vars.chat_id'],
        ['body.question', "'Where should we go in March?'"],
        ['body.response', "'Lisbon: mild and sunny.'"],
        ['body.type', "'text'"],
        ['body.branches', '[]'],
      ],
    },
    capture: { response_id_1: 'body.response_id' },
  },
  {
    id: 'secondPair',
    title: 'add-message (second pair, the responder answers)',
    operationId: 'addMessage',
    description: 'No `response`: the configured responder answers. Saved as `response_id_2`.',
    body: { chat_id: '{{chat_id}}', question: 'And in April?' },
    status: 201,
    checks: {
      'the responder answered': [
        ['body.chat_id', 'vars.chat_id'],
        "typeof body.response === 'string' && body.response.length > 0",
        'body.response_id !== vars.response_id_1',
      ],
    },
    capture: { response_id_2: 'body.response_id' },
  },
  {
    id: 'getRoot',
    title: 'get-chat (the root: two pairs)',
    operationId: 'getChat',
    description: 'The whole history fits one page. The `ETag` is saved as `etag` for update-chat.',
    query: { chat_id: '{{chat_id}}' },
    status: 200,
    checks: {
      'both pairs, in order, and nothing more either side': [
        ['body.qa_pairs.map((p) => p.response_id)', '[vars.response_id_1, vars.response_id_2]'],
        ['body.has_more_before', 'false'],
        ['body.has_more_after', 'false'],
        ['body.chat.message_count', '2'],
      ],
      'an ETag': ["typeof header('ETag') === 'string' && header('ETag').length > 0"],
    },
    capture: { etag: 'header.ETag' },
  },
  {
    id: 'createBranch',
    title: 'create-branch (from the first pair, with a question)',
    operationId: 'createBranch',
    description:
      'Edit-and-fork: a branch after the first pair, with its own first pair, made active. Saved as `branch_id` ' +
      'and `branch_response_id`.',
    body: {
      chat_id: '{{chat_id}}',
      response_id: '{{response_id_1}}',
      name: 'Trip ideas (May)',
      question: 'What about May?',
      response: 'Porto, before the summer crowds.',
    },
    status: 201,
    checks: {
      'an active branch of the root, forked after the first pair': [
        ['body.chat.chat_type', "'branch'"],
        ['body.chat.root_chat_id', 'vars.chat_id'],
        ['body.chat.parent_chat_id', 'vars.chat_id'],
        ['body.chat.fork_response_id', 'vars.response_id_1'],
        ['body.chat.active', 'true'],
        ['body.chat.message_count', '2'],
      ],
      'its first pair, stored in the branch': [
        ['body.qa_pair.chat_id', 'body.chat.chat_id'],
        ['body.qa_pair.question', "'What about May?'"],
      ],
    },
    capture: { branch_id: 'body.chat.chat_id', branch_response_id: 'body.qa_pair.response_id' },
  },
  {
    id: 'getBranch',
    title: 'get-chat (the branch: first pair + its own)',
    operationId: 'getChat',
    description: 'The branch sees the root’s history up to the fork (inherited), then its own pair.',
    query: { chat_id: '{{branch_id}}' },
    status: 200,
    checks: {
      'the inherited first pair, then the branch’s own; not the root’s second pair': [
        ['body.qa_pairs.map((p) => p.response_id)', '[vars.response_id_1, vars.branch_response_id]'],
        ['body.qa_pairs[0].chat_id', 'vars.chat_id'],
        'body.qa_pairs[0].branches.includes(vars.branch_id)',
        ['body.qa_pairs[1].chat_id', 'vars.branch_id'],
        ['body.chat.chat_id', 'vars.branch_id'],
      ],
    },
  },
  {
    id: 'activateRoot',
    title: 'set-active-branch (back to the root)',
    operationId: 'setActiveBranch',
    description: 'Switches the active chat of the tree back to the root.',
    body: { chat_id: '{{chat_id}}' },
    status: 200,
    checks: {
      'the root is active': [
        ['body.root_chat_id', 'vars.chat_id'],
        ['body.active_chat_id', 'vars.chat_id'],
      ],
    },
  },
  {
    id: 'getBranches',
    title: 'get-branches (the tree)',
    operationId: 'getBranches',
    description: 'The whole tree, asked through the branch (any chat of the tree will do).',
    query: { chat_id: '{{branch_id}}' },
    status: 200,
    checks: {
      'two chats, the root active, the branch its only child': [
        ['body.count', '2'],
        ['body.root_chat_id', 'vars.chat_id'],
        ['body.active_chat_id', 'vars.chat_id'],
        ['body.tree.chat_id', 'vars.chat_id'],
        ['body.tree.active', 'true'],
        ['body.tree.children.map((c) => c.chat_id)', '[vars.branch_id]'],
        ['body.tree.children[0].active', 'false'],
        ['body.tree.children[0].fork_response_id', 'vars.response_id_1'],
        ['body.tree.children[0].children', '[]'],
      ],
    },
  },
  {
    id: 'createShare',
    title: 'create-share (the branch, frozen)',
    operationId: 'createShare',
    description:
      'A read-only link to the branch’s visible history, frozen now: later writes to the branch do not show in it. ' +
      'The token (shown only here) is saved as `share_token`, the share as `share_id`.',
    body: { chat_id: '{{branch_id}}' },
    status: 201,
    checks: {
      'a frozen share of the branch: its two pairs, a 256-bit token, the demo’s link': [
        ['body.chat_id', 'vars.branch_id'],
        ['body.live', 'false'],
        ['body.pair_count', '2'],
        ['body.expires_at', 'null'],
        '/^[A-Za-z0-9_-]{43}$/.test(body.token)',
        "body.url.endsWith('/app/s/' + body.token)",
      ],
    },
    capture: { share_token: 'body.token', share_id: 'body.share_id' },
  },
  {
    id: 'publicShare',
    title: 'public share (no token)',
    operationId: 'getPublicShare',
    anonymous: true,
    description:
      'Anyone with the link reads the shared history, without an account: the pairs and the name, and nothing of ' +
      'the account (no account or chat ids, no branches, no generation details).',
    params: { token: '{{share_token}}' },
    status: 200,
    checks: {
      'the branch’s history as shared: the inherited first pair, then its own': [
        ['body.qa_pairs.map((p) => p.response_id)', '[vars.response_id_1, vars.branch_response_id]'],
        ['body.share.name', "'Trip ideas (May)'"],
        ['body.share.live', 'false'],
        ['body.share.system_prompt', 'null'],
      ],
      'nothing of the account': [
        '!JSON.stringify(body).includes(vars.account_id)',
        '!JSON.stringify(body).includes(vars.chat_id)',
        "body.qa_pairs.every((p) => !('chat_id' in p) && !('branches' in p) && !('generation' in p))",
      ],
      'kept out of caches': [["header('Cache-Control')", "'no-store'"]],
    },
  },
  {
    id: 'listShares',
    title: 'list-shares (of the branch)',
    operationId: 'listShares',
    description: 'The account’s share links of the branch, newest first; the token is never shown again.',
    query: { chat_id: '{{branch_id}}' },
    status: 200,
    checks: {
      'the one share, without its token': [
        ['body.shares.map((s) => s.share_id)', '[vars.share_id]'],
        ['body.shares[0].expired', 'false'],
        "!('token' in body.shares[0])",
      ],
    },
  },
  {
    id: 'editFirst',
    title: 'create-branch (edit the first question: a start fork)',
    operationId: 'createBranch',
    description:
      '`response_id: null` forks before the first pair: the first question asked differently, with an empty history ' +
      'before it. Not activated. Its default name is taken from its question. Saved as `start_id`.',
    body: { chat_id: '{{chat_id}}', response_id: null, question: 'Where should we go in May?', activate: false },
    status: 201,
    checks: {
      'a branch under the root with no fork pair, only its own pair': [
        ['body.chat.parent_chat_id', 'vars.chat_id'],
        ['body.chat.fork_response_id', 'null'],
        ['body.chat.message_count', '1'],
        ['body.chat.active', 'false'],
        ['body.chat.name', "'Where should we go in May?'"],
      ],
    },
    capture: { start_id: 'body.chat.chat_id' },
  },
  {
    id: 'regenerate',
    title: 'regenerate (the second answer, again)',
    operationId: 'regenerate',
    description:
      'Asks the responder again for the second question: the new answer is stored in a new branch forking after the ' +
      'first pair (beside the original, which stays). Not activated. Saved as `regenerated_id`.',
    body: { response_id: '{{response_id_2}}', activate: false },
    status: 201,
    checks: {
      'a branch after the first pair whose first pair is the same question': [
        ['body.chat.parent_chat_id', 'vars.chat_id'],
        ['body.chat.fork_response_id', 'vars.response_id_1'],
        ['body.qa_pair.question', "'And in April?'"],
        "typeof body.qa_pair.response === 'string' && body.qa_pair.response.length > 0",
        'body.qa_pair.generation !== null',
      ],
    },
    capture: { regenerated_id: 'body.chat.chat_id' },
  },
  {
    id: 'alternatives',
    title: 'get-chat (the alternatives of each question)',
    operationId: 'getChat',
    description:
      'The root again: `start_branches` lists the start fork (an alternative first question); the first pair’s ' +
      '`branches` lists the branch and the regenerated answer (alternatives of the second question).',
    query: { chat_id: '{{chat_id}}' },
    status: 200,
    checks: {
      'the start fork, and the two branches after the first pair, oldest first': [
        ['body.start_branches', '[vars.start_id]'],
        ['body.qa_pairs[0].branches', '[vars.branch_id, vars.regenerated_id]'],
        ['body.qa_pairs[1].response_id', 'vars.response_id_2'],
      ],
    },
  },
  {
    id: 'setFeedback',
    title: 'set-feedback (thumbs up on the second answer, with a comment)',
    operationId: 'setFeedback',
    description:
      'Rates the responder’s answer to the second question up, with a comment. The feedback belongs to the pair: ' +
      'every chat that shows the pair shows it; `rating: null` would remove it.',
    body: { response_id: '{{response_id_2}}', rating: 'up', comment: 'Just what I needed.' },
    status: 200,
    checks: {
      'the feedback as stored': [
        ['body.response_id', 'vars.response_id_2'],
        ['body.feedback.rating', "'up'"],
        ['body.feedback.comment', "'Just what I needed.'"],
        "typeof body.feedback.updated_at === 'string'",
      ],
    },
  },
  {
    id: 'feedbackShown',
    title: 'get-chat (the rated answer)',
    operationId: 'getChat',
    description: 'The root again: the second pair carries its feedback, the first none.',
    query: { chat_id: '{{chat_id}}' },
    status: 200,
    checks: {
      'feedback on the second pair only': [
        ['body.qa_pairs[1].response_id', 'vars.response_id_2'],
        ['body.qa_pairs[1].feedback.rating', "'up'"],
        ['body.qa_pairs[1].feedback.comment', "'Just what I needed.'"],
        ['body.qa_pairs[0].feedback', 'null'],
      ],
    },
  },
  {
    id: 'compare',
    title: 'compare-branches (the branch and the regenerated answer)',
    operationId: 'compareBranches',
    description:
      'Where the branch and the regenerated answer part: both show the first pair, then each its own. Each tail ' +
      'carries its totals (pairs, the tokens of generated answers, and the answers rated up and down: none here, ' +
      'the rated answer is the root’s).',
    query: { chat_id: '{{branch_id}}', other_chat_id: '{{regenerated_id}}' },
    status: 200,
    checks: {
      'one shared pair, then one pair each; only the regenerated one has tokens': [
        ['body.common_count', '1'],
        ['body.last_shared.response_id', 'vars.response_id_1'],
        ['body.tails.chat.qa_pairs.map((p) => p.response_id)', '[vars.branch_response_id]'],
        ['body.tails.other.qa_pairs.length', '1'],
        ['body.tails.chat.totals.pairs', '1'],
        ['body.tails.other.totals.pairs', '1'],
        'body.tails.other.totals.completion_tokens > 0',
        ['body.tails.chat.totals.feedback', '{ up: 0, down: 0 }'],
        ['body.tails.other.totals.feedback', '{ up: 0, down: 0 }'],
        ['body.tails.chat.has_more_after', 'false'],
      ],
    },
  },
  {
    id: 'forkChat',
    title: 'fork-chat (a new conversation from the branch)',
    operationId: 'forkChat',
    description:
      'Copies the branch’s visible history (the inherited first pair and its own) into a new, independent ' +
      'conversation, which records where it came from. Saved as `fork_id`.',
    body: { chat_id: '{{branch_id}}', name: 'May, on its own' },
    status: 201,
    checks: {
      'a new root holding copies of the two pairs, pointing back at the branch': [
        ['body.chat.chat_type', "'main'"],
        ['body.chat.name', "'May, on its own'"],
        ['body.chat.message_count', '2'],
        ['body.chat.forked_from', '{ chat_id: vars.branch_id, response_id: vars.branch_response_id }'],
        ['body.chat_count', '1'],
        ['body.pair_count', '2'],
        'body.chat.chat_id !== vars.chat_id',
      ],
    },
    capture: { fork_id: 'body.chat.chat_id' },
  },
  {
    id: 'search',
    title: 'search-messages (in the branch)',
    operationId: 'searchMessages',
    description: 'Branch-aware search: the branch’s visible history includes the inherited first pair.',
    query: { q: 'lisbon', chat_id: '{{branch_id}}' },
    status: 200,
    checks: {
      'the inherited first pair is a hit, to be opened in the branch': [
        [
          'body.hits.filter((h) => h.response_id === vars.response_id_1).map((h) => [h.chat_id, h.open_chat_id])',
          '[[vars.chat_id, vars.branch_id]]',
        ],
        "body.hits.some((h) => h.snippet.toLowerCase().includes('<mark>lisbon</mark>'))",
      ],
    },
  },
  {
    id: 'rename',
    title: 'update-chat (If-Match: the ETag from get-chat)',
    operationId: 'updateChat',
    description: 'Renames the root, conditional on the ETag saved by get-chat (switching back left it unchanged).',
    headers: { 'If-Match': '{{etag}}' },
    body: { chat_id: '{{chat_id}}', name: 'Spring trip' },
    status: 200,
    checks: {
      'renamed, with a new ETag': [
        ['body.name', "'Spring trip'"],
        ['body.chat_id', 'vars.chat_id'],
        "typeof header('ETag') === 'string' && header('ETag') !== vars.etag",
      ],
    },
  },
  {
    id: 'staleRename',
    title: 'update-chat (stale If-Match → 412)',
    operationId: 'updateChat',
    description: 'The ETag from get-chat is stale after the rename: 412, and nothing changes.',
    headers: { 'If-Match': '{{etag}}' },
    body: { chat_id: '{{chat_id}}', name: 'Never applied' },
    status: 412,
    checks: {
      'a problem document': ["header('Content-Type').includes('application/problem+json')", ['body.status', '412']],
    },
  },
  {
    id: 'systemPrompt',
    title: 'update-chat (system prompt)',
    operationId: 'updateChat',
    description:
      'Sets the conversation’s system prompt: sent to the model before the history, for every chat of the tree.',
    body: { chat_id: '{{chat_id}}', system_prompt: 'You are a concise travel agent.' },
    status: 200,
    checks: { 'the system prompt is set': [['body.system_prompt', "'You are a concise travel agent.'"]] },
  },
  {
    id: 'pinChat',
    title: 'update-chat (pin the conversation)',
    operationId: 'updateChat',
    description:
      'Pins the conversation (a flag of the whole tree: any of its chats can set it, every chat shows it). ' +
      'list-chats lists pinned conversations first.',
    body: { chat_id: '{{chat_id}}', pinned: true },
    status: 200,
    checks: {
      'pinned, not archived': [
        ['body.pinned', 'true'],
        ['body.archived', 'false'],
      ],
    },
  },
  {
    id: 'listPinned',
    title: 'list-chats (pinned first)',
    operationId: 'listChats',
    description: 'The pinned conversation comes first, whatever the activity of the others.',
    query: { limit: '10' },
    status: 200,
    checks: {
      'the pinned conversation first': [
        ['body.chats[0].chat_id', 'vars.chat_id'],
        ['body.chats[0].pinned', 'true'],
        'body.chats.slice(1).every((c) => !c.pinned)',
      ],
    },
  },
  {
    id: 'createUntitled',
    title: 'create-chat (no name)',
    operationId: 'createChat',
    description:
      'Without a name the conversation is "New chat" until its first question and answer bring a title. Saved as ' +
      '`untitled_id`.',
    body: {},
    status: 201,
    checks: {
      '"New chat", for now': [
        ['body.name', "'New chat'"],
        ['body.pinned', 'false'],
      ],
    },
    capture: { untitled_id: 'body.chat_id' },
  },
  {
    id: 'untitledFirstPair',
    title: 'add-message (the first pair of the untitled conversation)',
    operationId: 'addMessage',
    description:
      'Answered at once; the title is proposed from this pair afterwards, in the background (announced as a ' +
      '`chat.updated` event).',
    body: { chat_id: '{{untitled_id}}', question: 'Packing list for Porto?', response: 'Light layers, good shoes.' },
    status: 201,
    checks: { 'the pair, stored': [['body.chat_id', 'vars.untitled_id']] },
  },
  {
    id: 'getUntitled',
    title: 'get-chat (the untitled conversation: "New chat" or its title)',
    operationId: 'getChat',
    description:
      'The title arrives in the background, so a read right after the pair may still see "New chat"; a flow cannot ' +
      'wait for it, so either is accepted here (the local responder’s title is "Packing list for Porto"; a model’s is ' +
      'its own). tests/integration/titles.test.ts waits for it.',
    query: { chat_id: '{{untitled_id}}' },
    status: 200,
    checks: {
      '"New chat", or a title of one line': [
        ['body.chat.message_count', '1'],
        "typeof body.chat.name === 'string' && body.chat.name.length > 0 && body.chat.name.length <= 200",
        "!body.chat.name.includes('\\n')",
      ],
    },
  },
  {
    id: 'archiveUntitled',
    title: 'update-chat (archive the untitled conversation)',
    operationId: 'updateChat',
    description: 'Archived conversations stay readable, but list-chats leaves them out unless asked (`archived`).',
    body: { chat_id: '{{untitled_id}}', archived: true },
    status: 200,
    checks: { archived: [['body.archived', 'true']] },
  },
  {
    id: 'listArchivedHidden',
    title: 'list-chats (archived ones hidden)',
    operationId: 'listChats',
    description:
      'By default (`archived=false`) the archived conversation is not listed; `archived=true` or `only` would.',
    query: { limit: '10' },
    status: 200,
    checks: {
      'the archived conversation is left out, the others are there': [
        '!body.chats.some((c) => c.chat_id === vars.untitled_id)',
        'body.chats.some((c) => c.chat_id === vars.chat_id)',
      ],
    },
  },
  {
    id: 'unarchiveUntitled',
    title: 'update-chat (unarchive it)',
    operationId: 'updateChat',
    description: 'Back in list-chats.',
    body: { chat_id: '{{untitled_id}}', archived: false },
    status: 200,
    checks: { 'not archived': [['body.archived', 'false']] },
  },
  {
    id: 'streamed',
    title: 'add-message (streamed: Accept text/event-stream)',
    operationId: 'addMessage',
    description:
      'The answer as server-sent events: `delta` events with text, then one `done` event carrying the stored pair ' +
      '(Postman shows the whole stream once it ends; REST Client and curl -N as it comes).',
    headers: { Accept: 'text/event-stream' },
    body: { chat_id: '{{chat_id}}', question: 'And in June?' },
    status: 200,
    response: 'sse',
    checks: {
      'an event stream': ["header('Content-Type').includes('text/event-stream')"],
      'deltas, then one done with the stored pair': [
        "events.filter((e) => e.event === 'delta').length > 0",
        ["events.filter((e) => e.event === 'done').length", '1'],
        ['events[events.length - 1].event', "'done'"],
        [
          "events.filter((e) => e.event === 'delta').map((e) => e.data.text).join('')",
          'events[events.length - 1].data.response',
        ],
        ['events[events.length - 1].data.question', "'And in June?'"],
        "typeof events[events.length - 1].data.generation.model === 'string'",
      ],
    },
  },
  {
    id: 'exportChatgpt',
    title: 'export-chat (format chatgpt)',
    operationId: 'exportChat',
    description: 'The whole tree in the shape of a ChatGPT data export; saved as `chatgpt_export` for the import.',
    query: { chat_id: '{{chat_id}}', format: 'chatgpt' },
    status: 200,
    checks: {
      'a ChatGPT conversation: title, mapping, current_node': [
        ['body.title', "'Spring trip'"],
        "typeof body.mapping === 'object' && body.mapping !== null",
        "typeof body.mapping[body.current_node] === 'object'",
      ],
    },
    capture: { chatgpt_export: 'text' },
  },
  {
    id: 'importChat',
    title: 'import-chat (the export back)',
    operationId: 'importChat',
    description: 'Imports the export as a new conversation: the same tree, histories and active chat, new ids.',
    rawBody: '{{chatgpt_export}}',
    status: 201,
    checks: {
      'one conversation: the root, its branch, the start fork and the regenerated answer; six pairs': [
        ['body.conversations.length', '1'],
        ['body.conversations[0].title', "'Spring trip'"],
        ['body.conversations[0].chat_count', '4'],
        ['body.conversations[0].pair_count', '6'],
        'body.conversations[0].root_chat_id !== vars.chat_id',
      ],
    },
    capture: { imported_id: 'body.conversations[0].root_chat_id' },
  },
  {
    id: 'exportMarkdown',
    title: 'export-chat (format markdown, the imported root)',
    operationId: 'exportChat',
    description: 'The imported root chat’s visible history as Markdown.',
    query: { chat_id: '{{imported_id}}', format: 'markdown' },
    status: 200,
    response: 'text',
    checks: {
      Markdown: ["header('Content-Type').includes('text/markdown')"],
      'the questions of the root, in order, under the title': [
        "text.startsWith('# Spring trip')",
        "text.indexOf('Where should we go in March?') < text.indexOf('And in April?')",
      ],
    },
  },
  {
    id: 'revokeShare',
    title: 'delete-share (revoke the link)',
    operationId: 'deleteShare',
    description: 'Revokes the share: from now on its link is a 404, on every server instance.',
    query: { share_id: '{{share_id}}' },
    status: 200,
    checks: {
      'revoked, with the time': [['body.share_id', 'vars.share_id'], "typeof body.revoked_at === 'string'"],
    },
  },
  {
    id: 'publicShareRevoked',
    title: 'public share (revoked → 404)',
    operationId: 'getPublicShare',
    anonymous: true,
    description: 'The revoked link: the same 404 as a link that never existed.',
    params: { token: '{{share_token}}' },
    status: 404,
    checks: {
      'a problem document, kept out of caches': [
        "header('Content-Type').includes('application/problem+json')",
        ['body.status', '404'],
        ["header('Cache-Control')", "'no-store'"],
      ],
    },
  },
  {
    id: 'deleteBranch',
    title: 'delete-chat (the branch)',
    operationId: 'deleteChat',
    description: 'Soft-deletes the branch (and its subtree, empty here).',
    query: { chat_id: '{{branch_id}}' },
    status: 200,
    checks: { 'exactly the branch was deleted': [['body.deleted_chat_ids', '[vars.branch_id]']] },
  },
  {
    id: 'getDeleted',
    title: 'get-chat (the deleted branch → 404)',
    operationId: 'getChat',
    description: 'A deleted chat answers 404 with a problem document.',
    query: { chat_id: '{{branch_id}}' },
    status: 404,
    checks: {
      'a problem document': [
        "header('Content-Type').includes('application/problem+json')",
        ['body.status', '404'],
        "typeof body.title === 'string' && body.title.length > 0",
        ['body.instance', "header('X-Request-Id')"],
      ],
    },
  },
  {
    id: 'anonymous',
    title: 'add-message (no token → 401)',
    operationId: 'addMessage',
    anonymous: true,
    description: 'Without `Authorization`: 401 before anything else is looked at.',
    body: { chat_id: '{{chat_id}}', question: 'Anyone there?' },
    status: 401,
    checks: {
      'a problem document and a Bearer challenge': [
        "header('Content-Type').includes('application/problem+json')",
        ['body.status', '401'],
        "header('WWW-Authenticate').includes('Bearer')",
      ],
    },
  },
];
