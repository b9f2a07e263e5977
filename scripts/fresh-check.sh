#!/usr/bin/env bash
# The README's first hour on a bare Debian 12: builds a fresh root with debootstrap (minbase: Debian's
# own packages only), copies a clean checkout in (git archive: committed files and tracked changes, no
# build folders, no ../shared), installs only `make`, and runs the README's command there as a newcomer
# would. A package that `make deps` forgets to install fails here, where it cannot on a developer's
# machine that already holds it. Needs root (chroot, mounts) and Debian's package registry.
#   scripts/fresh-check.sh [test|demo]    (default: test)
# FRESH_ROOT=DIR builds the root there (default: a new folder under /var/tmp); it is removed on exit,
# on every path: mounts first, and nothing is removed while anything below it is still mounted.
set -euo pipefail
target=${1:-test}
case "$target" in test|demo) ;; *) echo "usage: scripts/fresh-check.sh [test|demo]" >&2; exit 2 ;; esac
[[ $(id -u) -eq 0 ]] || { echo "fresh-check: needs root (debootstrap, chroot and mounts)" >&2; exit 2; }
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}

if ! command -v debootstrap > /dev/null; then
  echo "fresh-check: installing debootstrap"
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends debootstrap > /dev/null
fi

root=${FRESH_ROOT:-$(mktemp -d /var/tmp/rcnn-fresh.XXXXXX)}
chmod 755 "$root"  # apt inside drops to its own user, which must reach its lists
mounts=()
cleanup() {
  local status=$? i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2> /dev/null || true; done
  if findmnt -rn -o TARGET | grep -q "^$root/"; then
    echo "fresh-check: $root still has mounts; left in place so that nothing outside it is removed" >&2
  else
    rm -rf --one-file-system "$root"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mount_in() {  # mount_in TARGET ARGS...: mounts under the root, remembered for cleanup
  local where="$root/$1"; shift
  mkdir -p "$where"
  mount "$@" "$where"
  mounts+=("$where")
}

start=$(date +%s)
echo "fresh-check: debootstrap bookworm (minbase) into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.debootstrap.log" 2>&1 ||
  { tail -20 "$root.debootstrap.log"; rm -f "$root.debootstrap.log"; exit 1; }
rm -f "$root.debootstrap.log"
echo "fresh-check: root ready in $(( $(date +%s) - start )) s"

mount_in proc -t proc proc
mount_in sys -t sysfs sysfs
mount_in dev -t tmpfs -o mode=755 dev
for node in null zero full random urandom tty; do  # device nodes bound one by one: the host's /dev is never under the root
  touch "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
  mounts+=("$root/dev/$node")
done
mount_in dev/pts -t devpts -o newinstance,ptmxmode=0666 devpts
ln -sf pts/ptmx "$root/dev/ptmx"
mount_in dev/shm -t tmpfs -o mode=1777 shm  # OpenMPI's shared memory between ranks
cp /etc/resolv.conf "$root/etc/resolv.conf"

mkdir -p "$root/home/newcomer/rcnn.cpp"
# Tracked files as they are now (a commit of the work tree's tracked changes, or HEAD when clean).
tree=$(git -C "$top" stash create || true)
git -C "$top" archive "${tree:-HEAD}" | tar -x -C "$root/home/newcomer/rcnn.cpp"

in_root() { chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
echo "fresh-check: apt-get install make (the README's only prerequisite)"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make > /dev/null

echo "fresh-check: make $target (on a bare Debian 12)"
step=$(date +%s)
in_root /bin/sh -c "cd /home/newcomer/rcnn.cpp && make $target"
echo "fresh-check: make $target passed on a bare Debian 12 in $(( $(date +%s) - step )) s ($(( $(date +%s) - start )) s in all)"
