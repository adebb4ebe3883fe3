#!/bin/sh
# gpu_training: trains a small CNN on the GPU and reports the held-out loss.
#   runscript.sh LEARNING_RATE BATCH_SIZE EPOCHS
# Needs an NVIDIA GPU (nvidia-smi) and PyTorch with CUDA (the image's base provides both).
# Where there is none it stops at once with exit status 3 and says why, instead of
# training on the CPU for hours.
set -eu
if [ $# -ne 3 ]; then
  echo "usage: runscript.sh LEARNING_RATE BATCH_SIZE EPOCHS" >&2
  exit 2
fi
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "runscript.sh: no NVIDIA GPU here (nvidia-smi missing or finds no device); run on a GPU instance type (g4dn, g5, g6, p4d, ...)" >&2
  exit 3
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
here=$(dirname "$0")
exec "${PYTHON:-python3}" "$here/train.py" "$1" "$2" "$3"
