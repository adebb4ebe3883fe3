#!/usr/bin/env bash
# The GPU training example on a real GPU: runscript.sh under monitor_system trains for one
# short epoch, the held-out loss becomes the custom metric and the monitor records the GPU
# (gpu_* columns through nvidia-smi). Needs an NVIDIA GPU and PyTorch with CUDA; skipped,
# saying which is missing, where there is none (the no-GPU refusal itself is checked in
# test_examples.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/example_lib.sh"

command -v nvidia-smi >/dev/null || skip "no NVIDIA GPU here: nvidia-smi not found"
nvidia-smi -L >/dev/null 2>&1 || skip "no NVIDIA GPU here: nvidia-smi finds no device"
python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null ||
  skip "PyTorch with CUDA is not installed for python3 (the example's image provides it)"
[ -x "$MONITOR" ] || { fail "monitor_system not built at $MONITOR"; exit 1; }

job=$TMP/job
mkdir -p "$job/app"
cp "$ROOT/examples/gpu_training/runscript.sh" "$ROOT/examples/gpu_training/train.py" "$job/app/"
(cd "$job" && "$MONITOR" --interval 0.5 --workdir "$job/work" --result-url "$job/result" \
   --cmd ./app/runscript.sh 0.05 256 1 >"$job/out" 2>"$job/err")
expect_eq "gpu_training exits 0" "$?" 0
check "it trained on the GPU" grep -q 'held-out loss' "$job/out"
s=$job/result/summary.json
expect_eq "summary: status" "$(json_get "$s" status 2>/dev/null)" succeeded
loss=$(json_get "$s" custom_metric 2>/dev/null)
check "custom metric is the held-out loss ($loss), a learnt one (< ln 10)" num_cmp "${loss:-99}" '<' 2.302
gpus=$(csv_column_max "$job/result/timeseries.csv" gpu_count 2>/dev/null)
check "timeseries.csv saw the GPU (gpu_count $gpus)" num_cmp "${gpus:-0}" '>=' 1
