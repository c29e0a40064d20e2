#!/usr/bin/env bash
# Stops the broker started by tools/kafka/start.sh (pid in .tools/kafka/kafka.pid).
# Usage: tools/kafka/stop.sh [--wipe]   --wipe also deletes the data dir (topics, offsets, cluster id).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
STATE_DIR="$ROOT/.tools/kafka"
PID_FILE="$STATE_DIR/kafka.pid"
WIPE=0
for arg in "$@"; do
  case "$arg" in
    --wipe) WIPE=1 ;;
    *)
      echo "usage: $0 [--wipe]" >&2
      exit 2
      ;;
  esac
done

is_our_broker() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'kafka\.Kafka'; }

if [ -f "$PID_FILE" ]; then
  pid="$(cat "$PID_FILE")"
  if [ -n "$pid" ] && is_our_broker "$pid"; then
    echo "kafka: stopping pid $pid"
    kill -TERM "$pid"
    # controlled shutdown of a single node takes a few seconds; SIGKILL after 30 s
    for _ in $(seq 1 60); do
      is_our_broker "$pid" || break
      sleep 0.5
    done
    if is_our_broker "$pid"; then
      echo "kafka: pid $pid still alive after 30s, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
    fi
    echo "kafka: stopped"
  else
    echo "kafka: pid file is stale (no broker with pid ${pid:-?}), nothing to stop"
  fi
  rm -f "$PID_FILE"
else
  echo "kafka: not running (no $PID_FILE)"
fi

if [ "$WIPE" = 1 ]; then
  rm -rf "$STATE_DIR/data"
  echo "kafka: wiped $STATE_DIR/data"
fi
