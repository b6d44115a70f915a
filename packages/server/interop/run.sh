#!/bin/bash
# By hand, never in CI: run NetBSD's sysproxy clients (spclient.c linked with librumpclient, and
# librumphijack with host tools) and our sysproxy client (rumpclient-ops.mjs, fsu --server,
# rump.halt) against one rump_server — NetBSD's own or ours — and write what every program printed.
#
#   interop/run.sh DEST netbsd|ours OUT      (from packages/server, after pnpm build)
#
# DEST is a buildrump.sh destination (bin/rump_server, lib/librumpclient.so, lib/librumphijack.so,
# include/). OUT gets basic.txt, tcp.txt, extras.txt, hijack.txt, ops.txt, fsu.txt (and for ours token.txt); compare two
# runs with `node interop/compare.mjs OUT-netbsd OUT-ours`. Each server starts on a fresh copy of
# test/fixtures/sysproxy/ffs.img.gz, the image the recordings used.
set -u
DEST=$1 WHICH=$2 OUT=$3
PKG=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
W=$(mktemp -d /tmp/rumpts-interop.XXXXXX)
trap 'kill $SPID 2>/dev/null; rm -rf "$W"' EXIT
SOCK=$W/s.sock
export RUMP_SERVER=unix://$SOCK
FSU="node $PKG/../ukfs/bin/fsu.cjs"
HALT="node $PKG/bin/rump.halt.cjs"

gcc -O1 -I"$DEST/include" -o "$W/spclient" "$PKG/interop/spclient.c" -L"$DEST/lib" -Wl,-rpath,"$DEST/lib" -lrumpclient || exit 1
SP=$W/spclient

# start NAME [URL]: a server on a fresh image; the NetBSD one with the components the recordings had
start() {
  local url=${2:-unix://$SOCK}
  rm -f "$SOCK"; gunzip -c "$PKG/test/fixtures/sysproxy/ffs.img.gz" > "$W/ffs-$1.img"
  local d="key=/dev/dk,hostpath=$W/ffs-$1.img,size=host"
  if [ "$WHICH" = netbsd ]; then
    LD_LIBRARY_PATH=$DEST/lib "$DEST/bin/rump_server" -s -lrumpvfs -lrumpfs_ffs -lrumpdev_disk -lrumpdev -lrumpfs_tmpfs -lrumpdev_sysmon -d "$d" "$url" > "$W/server-$1.log" 2>&1 &
  else
    local insecure=; case $url in tcp://*) insecure=--insecure ;; esac
    node "$PKG/bin/rump_server.cjs" -s $insecure -lrumpvfs -lrumpfs_ffs -lrumpdev_disk -lrumpfs_tmpfs -d "$d" "$url" > "$W/server-$1.log" 2>&1 &
  fi
  SPID=$!
  for _ in $(seq 100); do
    case $url in unix://*) [ -S "$SOCK" ] && break ;; *) sleep 1; break ;; esac
    sleep 0.1
  done
}
# stop: wait for a server the clients halted; kill one that is still up
stop() {
  for _ in $(seq 50); do kill -0 $SPID 2>/dev/null || break; sleep 0.1; done
  if kill -0 $SPID 2>/dev/null; then echo "[server still running: killed]" >> "$1"; kill $SPID; fi
  wait $SPID 2>/dev/null; echo "[server exit status $?]" >> "$1"
}
run() { local f=$1; shift; echo "===== $*" >> "$f"; timeout 30 "$@" >> "$f" 2>&1; echo "[exit status $?]" >> "$f"; }

# basic: every call of the recordings' first session, ending in reboot(2)
: > "$OUT/basic.txt"; start basic; run "$OUT/basic.txt" "$SP" basic; stop "$OUT/basic.txt"

# tcp: the same over tcp (ours with --insecure: sysproxy has no authentication)
: > "$OUT/tcp.txt"; start tcp tcp://127.0.0.1:17325/
RUMP_SERVER=tcp://127.0.0.1:17325/ run "$OUT/tcp.txt" "$SP" basic; stop "$OUT/tcp.txt"

# token (ours only: NetBSD's server has none): a tcp server with a token refuses sysproxy clients at
# their handshake (ERROR AUTH), NetBSD's and ours; our protocol with the token file gets in
if [ "$WHICH" = ours ]; then
  F=$OUT/token.txt; : > "$F"; rm -f "$SOCK"
  node "$PKG/bin/rump_server.cjs" -s -lrumpvfs tcp://127.0.0.1:17326/ > "$W/server-token.log" 2>&1 & SPID=$!
  sleep 1
  RUMP_SERVER=tcp://127.0.0.1:17326/ run "$F" "$SP" basic
  RUMP_SERVER=tcp://127.0.0.1:17326/ RUMP_PROTOCOL=sysproxy run "$F" $HALT
  RUMP_SERVER=tcp://127.0.0.1:17326/ run "$F" $HALT
  stop "$F"; cat "$W/server-token.log" >> "$F"
fi

# extras: fork, exec, raise, anonmmap, bigio, two processes, halt
F=$OUT/extras.txt; : > "$F"; start extras
run "$F" "$SP" mount
run "$F" "$SP" fork /mnt/numbers.txt
run "$F" "$SP" exec /mnt/hello.txt
run "$F" "$SP" raise
run "$F" "$SP" anonmmap
(cd "$PKG" && run "$F" node interop/rumpclient-anonmmap.mjs "unix://$SOCK")
run "$F" "$SP" bigio
rm -f "$W/holdfifo"; mkfifo "$W/holdfifo"
( "$SP" hold /mnt/hello.txt < "$W/holdfifo" > "$W/hold.out" 2>&1 ) & HPID=$!
exec 7> "$W/holdfifo"
for _ in $(seq 50); do grep -q HOLDING "$W/hold.out" 2>/dev/null && break; sleep 0.1; done
run "$F" "$SP" second 3 /mnt/hello.txt
echo go >&7; exec 7>&-; wait $HPID
echo "===== $SP hold /mnt/hello.txt (while second ran)" >> "$F"; cat "$W/hold.out" >> "$F"
run "$F" "$SP" halt; stop "$F"

# hijack: librumphijack with the host tools of the recordings
F=$OUT/hijack.txt; : > "$F"; start hijack
run "$F" "$SP" mount
hj() { echo "===== LD_PRELOAD=librumphijack.so $*" >> "$F"; LD_LIBRARY_PATH=$DEST/lib LD_PRELOAD=$DEST/lib/librumphijack.so timeout 30 "$@" >> "$F" 2>&1; echo "[exit status $?]" >> "$F"; }
hj ls -l /rump/mnt
hj cat /rump/mnt/hello.txt
hj head -c 60 /rump/mnt/numbers.txt
hj dd if=/rump/mnt/hello.txt bs=64 count=1 status=none
hj readlink /rump/mnt/link-to-hello
hj wc -c /rump/mnt/numbers.txt
hj sh -c 'echo "dd data via hijack" | dd of=/rump/mnt/fromdd.txt status=none'
hj dd if=/rump/mnt/fromdd.txt status=none
hj bash -c 'echo "written via bash redirect" > /rump/mnt/frombash.txt'
hj touch /rump/mnt/touched
hj ln -s hello.txt /rump/mnt/ln-made
hj rmdir /rump/mnt/sub
hj rm /rump/mnt/fromdd.txt
hj mkdir /rump/mnt/newdir
hj cp "$PKG/package.json" /rump/mnt/copied
hj /usr/bin/python3 -c 'import os; print(sorted(os.listdir("/rump/mnt")))'
hj timeout 10 ls /rump/mnt
run "$F" "$SP" halt; stop "$F"

# ops: our sysproxy client through calls the C program does not make; it ends with reboot(2)
F=$OUT/ops.txt; : > "$F"; start ops
(cd "$PKG" && run "$F" node interop/rumpclient-ops.mjs "unix://$SOCK"); stop "$F"

# fsu: fsu --server over sysproxy, rump.halt over sysproxy, then our fsu reads the image back
F=$OUT/fsu.txt; : > "$F"; start fsu
run "$F" "$SP" mount
mkdir -p "$W/tree/a/b"; echo one > "$W/tree/a/one.txt"; echo two > "$W/tree/a/b/two.txt"
export RUMP_PROTOCOL=sysproxy
run "$F" $FSU --server "unix://$SOCK" put -r "$W/tree/a" /mnt/tree
run "$F" $FSU --server "unix://$SOCK" find /mnt/tree
run "$F" $FSU --server "unix://$SOCK" cat /mnt/tree/b/two.txt
run "$F" $FSU --server "unix://$SOCK" ls /mnt
run "$F" $HALT
unset RUMP_PROTOCOL
stop "$F"
run "$F" $FSU find "$W/ffs-fsu.img" /tree
run "$F" $FSU cat "$W/ffs-fsu.img" /tree/one.txt
