#!/usr/bin/env bash
# Registers qemu-aarch64-static with the kernel's binfmt_misc, so that ARM64 programs and
# ARM64 container images run on an x86-64 machine as they would on Graviton (slowly).
#   tools/register_binfmt.sh          register (root), quiet when already done
#   tools/register_binfmt.sh --check  exit 0 when registered, 1 when not
# Debian's qemu-user-static ships the rule (/usr/lib/binfmt.d/qemu-aarch64.conf, flags
# O, P, F: F opens the interpreter now, so it also works inside containers' mount
# namespaces); systemd-binfmt loads it at boot, which machines without systemd never do.
set -euo pipefail
mnt=/proc/sys/fs/binfmt_misc
rule=/usr/lib/binfmt.d/qemu-aarch64.conf

registered() { [ -e "$mnt/qemu-aarch64" ] && grep -q '^enabled' "$mnt/qemu-aarch64"; }

if [ "${1:-}" = --check ]; then
  registered
  exit
fi
registered && exit 0
[ "$(id -u)" -eq 0 ] || { echo "register_binfmt.sh: needs root" >&2; exit 1; }
[ -r "$rule" ] || { echo "register_binfmt.sh: $rule is missing (apt-get install qemu-user-static)" >&2; exit 1; }
if [ ! -e "$mnt/register" ]; then
  mount -t binfmt_misc binfmt_misc "$mnt" 2>/dev/null ||
    { echo "register_binfmt.sh: cannot mount binfmt_misc (a container without the privilege?)" >&2; exit 1; }
  # The kernel's rules outlive mounts: a chroot mounting it anew may find it done.
  registered && exit 0
fi
# The rule's file may carry comments; the kernel takes one rule per write.
grep -v '^[[:space:]]*\(#\|$\)' "$rule" | while IFS= read -r line; do
  printf '%s' "$line" >"$mnt/register"
done
registered || { echo "register_binfmt.sh: the kernel did not take $rule" >&2; exit 1; }
