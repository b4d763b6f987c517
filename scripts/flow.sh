#!/usr/bin/env bash
# The Postman "Flow" (postman/branchat.postman_collection.json) with curl, for people without Postman:
# register, login, create a chat, add two pairs, branch from the first, switch back, read the tree, search,
# rename with If-Match, set a system prompt, stream an answer, export and import, delete the branch, and the
# error cases. Each step prints its status; an unexpected
# status or value stops the script (exit 1) with the response body.
#
#   BASE=http://localhost:3000 bash scripts/flow.sh
#
# Needs bash, curl and node (JSON is read with node; no jq).
set -euo pipefail

BASE=${BASE:-http://localhost:3000}
API="$BASE/api/v1"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

STEP=0
STATUS=''
BODY=''
TOKEN=''

fail() {
  echo "FAILED: $*" >&2
  echo "response body: $BODY" >&2
  exit 1
}

# call METHOD PATH [JSON_BODY] [extra curl args...] -> sets STATUS, BODY; headers in $WORK/headers
call() {
  local method=$1 path=$2 data=${3:-}
  shift $(($# < 3 ? $# : 3))
  local args=(-sS -X "$method" -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' --max-time 30)
  if [[ -n $TOKEN ]]; then args+=(-H "Authorization: Bearer $TOKEN"); fi
  if [[ -n $data ]]; then args+=(-H 'Content-Type: application/json' --data-binary "$data"); fi
  STATUS=$(curl "${args[@]}" "$@" "$API$path") || fail "curl could not reach $API$path"
  BODY=$(cat "$WORK/body")
}

# step NAME EXPECTED_STATUS METHOD PATH [JSON_BODY] [extra curl args...]
step() {
  local name=$1 expected=$2
  shift 2
  STEP=$((STEP + 1))
  call "$@"
  printf '%2d %-58s %s %s -> %s\n' "$STEP" "$name" "$1" "$2" "$STATUS"
  [[ $STATUS == "$expected" ]] || fail "$name: expected HTTP $expected, got $STATUS"
}

# json EXPR: evaluates a JavaScript expression over the last response body `b` (strings print raw).
json() {
  node -e '
    const b = JSON.parse(process.argv[1]);
    const v = new Function("b", "return (" + process.argv[2] + ");")(b);
    process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));
  ' "$BODY" "$1"
}

# expect EXPR EXPECTED: the value of EXPR (as json prints it) must be EXPECTED.
expect() {
  local actual
  actual=$(json "$1")
  [[ $actual == "$2" ]] || fail "expected $1 to be $2, got $actual"
}

header() {
  tr -d '\r' <"$WORK/headers" | awk -v name="$(echo "$1" | tr '[:upper:]' '[:lower:]')" '
    { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == name) { v = substr($0, i + 1); sub(/^ +/, "", v); print v } }'
}

EMAIL="flow-$(date +%s)-$RANDOM$RANDOM@example.com"
PASSWORD='correct horse battery staple'
echo "branchat flow against $BASE (account $EMAIL)"

step register 201 POST /auth/register "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
expect b.token_type Bearer
ACCOUNT=$(json b.account_id)

step login 200 POST /auth/login "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
expect b.account_id "$ACCOUNT"
TOKEN=$(json b.token)

step create-chat 201 POST /chats/create-chat '{"name":"Trip ideas"}'
expect b.chat_type main
expect b.active true
expect b.message_count 0
CHAT=$(json b.chat_id)

step 'add-message (first pair)' 201 POST /messages/add-message \
  "{\"chat_id\":\"$CHAT\",\"question\":\"Where should we go in March?\",\"response\":\"Lisbon: mild and sunny.\"}"
expect b.chat_id "$CHAT"
expect b.response 'Lisbon: mild and sunny.'
R1=$(json b.response_id)

step 'add-message (second pair, the responder answers)' 201 POST /messages/add-message \
  "{\"chat_id\":\"$CHAT\",\"question\":\"And in April?\"}"
expect 'typeof b.response === "string" && b.response.length > 0' true
R2=$(json b.response_id)

step 'get-chat (the root: two pairs)' 200 GET "/chats/get-chat?chat_id=$CHAT"
expect 'b.qa_pairs.map((p) => p.response_id).join()' "$R1,$R2"
expect '[b.has_more_before, b.has_more_after]' '[false,false]'
ETAG=$(header ETag)
[[ -n $ETAG ]] || fail 'get-chat sent no ETag'

step 'create-branch (from the first pair, with a question)' 201 POST /branches/create-branch \
  "{\"chat_id\":\"$CHAT\",\"response_id\":\"$R1\",\"name\":\"Trip ideas (May)\",\"question\":\"What about May?\",\"response\":\"Porto, before the summer crowds.\"}"
expect b.chat.chat_type branch
expect b.chat.parent_chat_id "$CHAT"
expect b.chat.fork_response_id "$R1"
expect b.chat.active true
BRANCH=$(json b.chat.chat_id)
expect b.qa_pair.chat_id "$BRANCH"
BR1=$(json b.qa_pair.response_id)

step 'get-chat (the branch: first pair + its own)' 200 GET "/chats/get-chat?chat_id=$BRANCH"
expect 'b.qa_pairs.map((p) => p.response_id).join()' "$R1,$BR1"
expect 'b.qa_pairs[0].chat_id' "$CHAT"
expect 'b.qa_pairs[0].branches.join()' "$BRANCH"

step 'set-active-branch (back to the root)' 200 PUT /branches/set-active-branch "{\"chat_id\":\"$CHAT\"}"
expect b.active_chat_id "$CHAT"

step 'get-branches (the tree)' 200 GET "/branches/get-branches?chat_id=$BRANCH"
expect b.count 2
expect b.active_chat_id "$CHAT"
expect b.tree.chat_id "$CHAT"
expect 'b.tree.children.map((c) => c.chat_id).join()' "$BRANCH"

step 'search-messages (in the branch)' 200 GET "/messages/search-messages?q=lisbon&chat_id=$BRANCH"
expect "b.hits.some((h) => h.response_id === '$R1' && h.open_chat_id === '$BRANCH')" true

step 'update-chat (If-Match: the ETag from get-chat)' 200 PUT /chats/update-chat \
  "{\"chat_id\":\"$CHAT\",\"name\":\"Spring trip\"}" -H "If-Match: $ETAG"
expect b.name 'Spring trip'

step 'update-chat (stale If-Match -> 412)' 412 PUT /chats/update-chat \
  "{\"chat_id\":\"$CHAT\",\"name\":\"Never applied\"}" -H "If-Match: $ETAG"
expect b.status 412

step 'update-chat (system prompt)' 200 PUT /chats/update-chat \
  "{\"chat_id\":\"$CHAT\",\"system_prompt\":\"You are a concise travel agent.\"}"
expect b.system_prompt 'You are a concise travel agent.'

step 'add-message (streamed: Accept text/event-stream)' 200 POST /messages/add-message \
  "{\"chat_id\":\"$CHAT\",\"question\":\"And in June?\"}" -H 'Accept: text/event-stream' -N
[[ $(header Content-Type) == text/event-stream* ]] || fail "not an event stream: $(header Content-Type)"
[[ $BODY == *'event: delta'* ]] || fail 'no delta event'
DONE=$(printf '%s\n' "$BODY" | awk '/^event: done$/ { getline; print substr($0, 7) }')
[[ -n $DONE ]] || fail 'no done event'
BODY=$DONE
expect b.question 'And in June?'

step 'export-chat (format chatgpt)' 200 GET "/chats/export-chat?chat_id=$CHAT&format=chatgpt"
expect b.title 'Spring trip'
EXPORTED=$BODY

step 'import-chat (the export back)' 201 POST /chats/import-chat "$EXPORTED"
expect 'b.conversations.length' 1
expect 'b.conversations[0].chat_count' 2
expect 'b.conversations[0].pair_count' 4
IMPORTED=$(json 'b.conversations[0].root_chat_id')

step 'export-chat (format markdown, the imported root)' 200 GET "/chats/export-chat?chat_id=$IMPORTED&format=markdown"
[[ $BODY == '# Spring trip'* ]] || fail 'the Markdown export does not start with the title'

step 'delete-chat (the branch)' 200 DELETE "/chats/delete-chat?chat_id=$BRANCH"
expect 'b.deleted_chat_ids.join()' "$BRANCH"

step 'get-chat (the deleted branch -> 404)' 404 GET "/chats/get-chat?chat_id=$BRANCH"
[[ $(header Content-Type) == application/problem+json* ]] || fail "404 is not a problem document: $(header Content-Type)"
expect b.status 404

TOKEN=''
step 'add-message (no token -> 401)' 401 POST /messages/add-message "{\"chat_id\":\"$CHAT\",\"question\":\"Anyone there?\"}"
[[ $(header Content-Type) == application/problem+json* ]] || fail "401 is not a problem document: $(header Content-Type)"

echo "flow OK: $STEP steps"
