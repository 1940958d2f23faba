#!/bin/bash
# Idle CPU, wake-ups and threads of the real binary in tmux at 120x40, on a
# vault protected by a plain age key file (no KDF), or with INCOGNITO=1.
# usage: benches/idle.sh [BINARY] [SECONDS]   (needs tmux and age-keygen)
BIN=${1:-$(dirname "$0")/../target/release/sotto}; SECS=${2:-10}
D=$(mktemp -d); mkdir -p $D/home
# a plain age key file made by the test-less route: sotto's own age crate is not at hand, use age-keygen if present
if command -v age-keygen >/dev/null; then age-keygen -o $D/key.txt 2>/dev/null; else echo "need age-keygen"; exit 1; fi
HOME=$D/home $BIN --data-dir $D/v init --identity $D/key.txt >/dev/null 2>&1 || { echo init failed; exit 1; }
S=measure$$
ARGS="--data-dir $D/v"; [ -n "$INCOGNITO" ] && ARGS="$ARGS --incognito"
tmux -L $S -f /dev/null new-session -d -x 120 -y 40 "env HOME=$D/home TERM=xterm-256color LANG=C.UTF-8 $BIN $ARGS; sleep 100"
for i in $(seq 100); do tmux -L $S capture-pane -p | grep -q "Message (Enter" && break; sleep 0.1; done
sleep 1
PID=""; for p in $(pgrep -f "$BIN $ARGS"); do [ "$(readlink /proc/$p/exe)" = "$(readlink -f $BIN)" ] && PID=$p; done
echo "threads: $(grep Threads /proc/$PID/status | awk '{print $2}') ($(cat /proc/$PID/task/*/comm | sort | uniq -c | tr '\n' ' '))"
cpu() { cat /proc/$PID/task/*/schedstat | awk '{s+=$1} END {print s}'; }
wakes() { cat /proc/$PID/task/*/status | awk '/voluntary_ctxt_switches/ {s+=$2} END {print s}'; }
A=$(cpu); W=$(wakes); sleep $SECS; B=$(cpu); W2=$(wakes)
echo "idle CPU over ${SECS}s: $(( (B-A)/1000 )) µs; context switches: $((W2-W))"
tmux -L $S kill-server; sleep 0.5; rm -rf $D
