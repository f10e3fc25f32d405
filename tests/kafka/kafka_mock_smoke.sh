#!/bin/sh
# Smoke test for `fleetvault kafka-mock`: it prints the bootstrap line, answers
# each fault command with "ok" (on stdin and on a control FIFO), refuses
# unknown commands, and exits 0 on SIGTERM.
#   tests/kafka/kafka_mock_smoke.sh path/to/fleetvault
set -eu
FV=${1:?usage: kafka_mock_smoke.sh FLEETVAULT}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkfifo "$dir/in"
"$FV" kafka-mock --brokers 2 --partitions 3 --topic-prefix smoke. \
    --control-fifo "$dir/ctl" <"$dir/in" >"$dir/out" 2>"$dir/err" &
pid=$!
exec 3>"$dir/in" # hold stdin open

wait_lines() { # wait_lines N: until out has N lines (10 s)
    i=0
    while [ "$(wc -l <"$dir/out")" -lt "$1" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || fail "timed out waiting for line $1; got: $(cat "$dir/out")"
        sleep 0.1
    done
}

wait_lines 1
head -n 1 "$dir/out" | grep -Eq '^bootstrap=127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$' ||
    fail "bad bootstrap line: $(head -n 1 "$dir/out")"
echo down >&3;              wait_lines 2
echo "down-for 200" >&3;    wait_lines 3
echo bogus >&3;             wait_lines 4
echo up >"$dir/ctl";        wait_lines 5 # the FIFO works too
[ "$(sed -n 2,5p "$dir/out" | tr '\n' ' ')" = "ok ok error: unknown command 'bogus' (down, up, down-for MS) ok " ] ||
    fail "unexpected replies: $(sed -n 2,5p "$dir/out")"
kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM"
[ ! -e "$dir/ctl" ] || fail "control FIFO left behind"
echo "kafka-mock smoke: ok"
