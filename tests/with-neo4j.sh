#!/usr/bin/env bash
# with-neo4j.sh COMMAND...: run COMMAND with NEO4J_URI pointing at a throwaway Neo4j test server, then stop it.
#
# The server is ../shared/neo4j/neo4j-test-server.sh beside this checkout (or beside the repository it was
# cloned from, or $KGRAG_NEO4J_TEST_SERVER). It starts on a free port with its own data folder, and a trap stops
# exactly that instance and removes the folder however COMMAND ends. With NEO4J_URI already set, COMMAND runs
# against that server. Without a test server, COMMAND runs without Neo4j and the Neo4j tests skip, unless
# CI=true or KGRAG_REQUIRE_NEO4J=1, where a missing server is an error.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

required() { [[ "${CI:-}" == "true" || "${KGRAG_REQUIRE_NEO4J:-}" == "1" ]]; }

find_server() {
  local origin candidates=("${KGRAG_NEO4J_TEST_SERVER:-}" "$REPO/../shared/neo4j/neo4j-test-server.sh")
  origin="$(git -C "$REPO" config --get remote.origin.url 2>/dev/null || true)"
  if [[ -n "$origin" && -d "$origin" ]]; then candidates+=("$origin/../shared/neo4j/neo4j-test-server.sh"); fi
  for c in "${candidates[@]}"; do
    if [[ -n "$c" && -f "$c" ]]; then (cd "$(dirname "$c")" && echo "$PWD/$(basename "$c")"); return 0; fi
  done
  return 1
}

free_port() { # a Bolt port whose neighbour (the HTTP port) is free too
  python3 - <<'PY'
import socket
for _ in range(100):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    try:
        with socket.socket() as a, socket.socket() as b:
            a.bind(("127.0.0.1", port)); b.bind(("127.0.0.1", port + 1))
    except OSError:
        continue
    print(port)
    break
PY
}

if [[ -n "${NEO4J_URI:-}" ]]; then
  echo "with-neo4j: using NEO4J_URI=$NEO4J_URI" >&2
  exec "$@"
fi
if ! SERVER="$(find_server)"; then
  if required; then
    echo "with-neo4j: no Neo4j test server (../shared/neo4j/neo4j-test-server.sh) and no NEO4J_URI;" \
      "CI needs one (set KGRAG_NEO4J_TEST_SERVER or NEO4J_URI)" >&2
    exit 1
  fi
  echo "with-neo4j: no Neo4j test server found and NEO4J_URI is not set: the Neo4j tests skip" >&2
  exec "$@"
fi

PORT="$(free_port)"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/kgrag-neo4j-$PORT.XXXXXX")"
stop() { bash "$SERVER" stop "$PORT" || true; rm -rf "$DATA"; }
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
NEO4J_URI="$(NEO4J_TEST_HTTP_PORT=$((PORT + 1)) bash "$SERVER" start "$PORT" "$DATA")"
export NEO4J_URI
echo "with-neo4j: Neo4j test server at $NEO4J_URI" >&2
"$@"
