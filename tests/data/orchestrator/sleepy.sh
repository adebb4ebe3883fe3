#!/bin/sh
# Test workload: records that it ran (one line per run, in the ledger file $1), then
# sleeps $2 seconds. A job that runs twice shows up twice in the ledger.
echo "$MONITOR_INSTANCE_TYPE $ORCH_POINT_TAG $ORCH_REPLICATE $$" >> "$1"
sleep "$2"
echo "${3:-0}" > benchmark_custom.txt
