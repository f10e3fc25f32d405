#!/usr/bin/env bash
# fleetvault aws-check against the test world: every account of the demo
# fleet passes; a bad account fails with a reason and exit 1; a malformed
# config exits 2; no secret ever appears in any output.
set -euo pipefail
BIN=${FV_BIN:?}
SRC=${FV_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$BIN" aws-check --config "$SRC/docs/examples/fleet-demo.yaml" >"$tmp/ok.out" 2>&1 \
    || { cat "$tmp/ok.out"; fail "aws-check on the demo fleet"; }
grep -q '^ok  *111111111111 ' "$tmp/ok.out" || fail "member-a not checked"
grep -q '^ok  *222222222222 ' "$tmp/ok.out" || fail "member-b not checked"
grep -q '2 of 2 checks passed' "$tmp/ok.out" || fail "summary"

# No config: the default chain in the default region.
"$BIN" aws-check >"$tmp/default.out" 2>&1 || { cat "$tmp/default.out"; fail "default chain"; }
grep -q '^ok  *123456789012 ' "$tmp/default.out" || fail "default chain account"

# A wrong external id: that account fails with a reason, the other passes.
sed '0,/external_id: fleetvault-demo/s//external_id: wrong/' \
    "$SRC/docs/examples/fleet-demo.yaml" >"$tmp/bad.yaml"
set +e
"$BIN" aws-check --config "$tmp/bad.yaml" >"$tmp/bad.out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$tmp/bad.out"; fail "exit $rc with a failing account, want 1"; }
grep -q '^FAIL  *111111111111 .*AccessDenied' "$tmp/bad.out" || { cat "$tmp/bad.out"; fail "reason"; }
grep -q '^ok  *222222222222 ' "$tmp/bad.out" || fail "one failure stopped the rest"

# Malformed config: exit 2, one line naming the file and key.
printf 'region: us-east-1\naccounts:\n  - id: 12\n' >"$tmp/malformed.yaml"
set +e
"$BIN" aws-check --config "$tmp/malformed.yaml" >"$tmp/malformed.out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "malformed config exit $rc, want 2"
grep -q "malformed.yaml: accounts\[0\].id" "$tmp/malformed.out" || fail "malformed message"
[ "$(wc -l <"$tmp/malformed.out")" = 1 ] || fail "malformed config message is not one line"

# Bad credential environment: clear one-line errors.
set +e
AWS_ACCESS_KEY_ID=AKIAONLYKEY AWS_SECRET_ACCESS_KEY= "$BIN" aws-check >"$tmp/nosecret.out" 2>&1
set -e
grep -q 'AWS_SECRET_ACCESS_KEY' "$tmp/nosecret.out" || { cat "$tmp/nosecret.out"; fail "missing secret not named"; }
set +e
AWS_ENDPOINT_URL=127.0.0.1:1 "$BIN" aws-check >"$tmp/noscheme.out" 2>&1
set -e
grep -q 'AWS_ENDPOINT_URL' "$tmp/noscheme.out" || { cat "$tmp/noscheme.out"; fail "scheme-less endpoint not named"; }

# Secrets never appear, at any log level.
"$BIN" aws-check --verbose --config "$SRC/docs/examples/fleet-demo.yaml" >"$tmp/verbose.out" 2>&1 || true
cat "$tmp"/*.out >"$tmp/all"
for secret in "$AWS_SECRET_ACCESS_KEY" ${AWS_SESSION_TOKEN:+"$AWS_SESSION_TOKEN"}; do
    if grep -qF -- "$secret" "$tmp/all"; then fail "a secret appeared in the output"; fi
done
if grep -qE 'Signature=[0-9a-f]{64}' "$tmp/all"; then fail "a signature appeared in the output"; fi
echo "aws-check: all checks passed"
