#!/bin/sh
# A tiny CPU-bound workload for the orchestrator's tests: counts to $1, writes the
# negative count as the custom metric (the optimiser minimises).
n=${1:-10000}
i=0
while [ "$i" -lt "$n" ]; do i=$((i + 1)); done
echo "counted to $i"
echo "-$i" > benchmark_custom.txt
