#!/usr/bin/env bash
# A real llama.cpp server for tests, benchmarks and people: Debian's llama-server (package llama.cpp-tools, from
# the unstable suite) in a minimal chroot that is made once in ipw's cache folder and then reused.
#
#   llamacpp.sh provision                 make the chroot (about 300 MB, under a minute) unless it is there
#   llamacpp.sh start [--name N] [--port P] [--model GGUF] [--cpus LIST] [--wait SECONDS] [-- llama-server arguments]
#                                         start llama-server on 127.0.0.1 (a free port unless --port), wait for
#                                         /health, print its URL (http://127.0.0.1:P) on stdout; --cpus pins it
#                                         to those CPUs (taskset), e.g. to keep it off a client's core
#   llamacpp.sh run [llama-server arguments]
#                                         run llama-server in the foreground, as if it were installed here: -m/--model
#                                         takes a GGUF on this machine (copied into the chroot; default ipw's built-in
#                                         model); the process becomes llama-server itself (exec), so it is what
#                                         `ipw profile --launch "bash scripts/servers/llamacpp.sh run -m M --port P"`
#                                         holds and stops
#   llamacpp.sh stop [--name N | --all]   stop it (SIGTERM, then SIGKILL after 10 s)
#   llamacpp.sh status [--name N]         one line per server: name, URL, pid, model; exit 1 when N is not running
#   llamacpp.sh version                   the provisioned llama-server's version line
#
# --model defaults to ipw's built-in model (written first if missing). The chroot shares this machine's network,
# so the server is reached on loopback; the model file is copied into it. Needs root (debootstrap, chroot, mount).
# Exit codes: 0 done, 1 the server failed (its log's tail is printed), 2 bad usage, 3 cannot provision here
# (not root, no debootstrap, no Debian mirror reachable): callers such as the tests skip on 3 and say why.
# Environment: IPW_CACHE_DIR (else $XDG_CACHE_HOME/ipw, else ~/.cache/ipw); IPW_DEBIAN_MIRROR (else the mirror
# that this machine's apt sources name).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${IPW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ipw}"
base="$cache/servers/llamacpp"
rootfs="$base/root"
state="$base/run"

die() { echo "llamacpp.sh: $2" >&2; exit "$1"; }

mirror() {
  if [ -n "${IPW_DEBIAN_MIRROR:-}" ]; then echo "$IPW_DEBIAN_MIRROR"; return; fi
  local url
  url="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' | grep -v security | head -1 || true)"
  [ -n "$url" ] || url="$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | awk '{print $2}' | head -1 || true)"
  echo "${url:-http://deb.debian.org/debian}"
}

provision() {
  [ -x "$rootfs/usr/bin/llama-server" ] && return 0
  [ "$(id -u)" = 0 ] || die 3 "making the chroot needs root (debootstrap, chroot); run as root or give an existing $rootfs"
  if ! command -v debootstrap >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die 3 "debootstrap is not installed and there is no apt-get to install it"
    apt-get install -y -qq debootstrap >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq debootstrap >/dev/null 2>&1; } \
      || die 3 "debootstrap could not be installed (apt-get install debootstrap failed)"
  fi
  mkdir -p "$base"
  exec 9>"$base/.lock"
  flock 9
  [ -x "$rootfs/usr/bin/llama-server" ] && return 0 # made by another caller while this one waited
  local url tmp log
  url="$(mirror)"
  tmp="$base/root.partial"
  log="$base/provision.log"
  rm -rf "$tmp"
  echo "llamacpp.sh: making the llama.cpp chroot from $url (once; about a minute)" >&2
  if ! debootstrap --variant=minbase --include=llama.cpp-tools sid "$tmp" "$url" >"$log" 2>&1; then
    rm -rf "$tmp"
    die 3 "debootstrap of Debian sid with llama.cpp-tools from $url failed (see $log): $(tail -1 "$log")"
  fi
  mkdir -p "$tmp/models"
  mv "$tmp" "$rootfs"
}

mount_proc() {
  mountpoint -q "$rootfs/proc" || mount -t proc proc "$rootfs/proc"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

builtin_model() {
  local model="$cache/models/ipw-tiny-v1.gguf"
  if [ ! -f "$model" ]; then
    # The built-in model is written by ipw itself on first use: one short in-process query writes it.
    local out
    out="$(mktemp -d)"
    IPW_CACHE_DIR="$cache" "$repo/scripts/ipw" profile --max-queries 1 --warmup 0 --baseline 0 --max-tokens 1 \
      --progress none --output-dir "$out" >/dev/null 2>&1 || true
    rm -rf "$out"
    [ -f "$model" ] || die 1 "the built-in model could not be written at $model"
  fi
  echo "$model"
}

running() { # name -> 0 when its process is alive
  local pid
  [ -f "$state/$1.pid" ] || return 1
  pid="$(cat "$state/$1.pid")"
  kill -0 "$pid" 2>/dev/null
}

start() {
  local name=default port="" model="" wait=120 cpus=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --name) name="$2"; shift 2 ;;
      --port) port="$2"; shift 2 ;;
      --model) model="$2"; shift 2 ;;
      --wait) wait="$2"; shift 2 ;;
      --cpus) cpus="$2"; shift 2 ;;
      --) shift; break ;;
      *) die 2 "start: unknown option '$1' (llama-server's own arguments go after --)" ;;
    esac
  done
  [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || die 2 "start: --name '$name' must be letters, digits, '.', '_' or '-'"
  running "$name" && die 2 "start: a server named '$name' is already running ($(cat "$state/$name.url")); stop it first"
  [ -n "$model" ] || model="$(builtin_model)"
  [ -f "$model" ] || die 2 "start: --model '$model' is not a file"
  provision
  mkdir -p "$state" "$rootfs/models"
  mount_proc
  local file="$rootfs/models/$(basename "$model")"
  cmp -s "$model" "$file" 2>/dev/null || cp "$model" "$file"
  [ -n "$port" ] || port="$(free_port)"
  local log="$state/$name.log" url="http://127.0.0.1:$port"
  # setsid: the server is its own session, so a test runner's signals reach it only through 'stop'.
  local pin=()
  [ -z "$cpus" ] || pin=(taskset -c "$cpus")
  setsid "${pin[@]}" chroot "$rootfs" /usr/bin/llama-server -m "/models/$(basename "$model")" --host 127.0.0.1 --port "$port" "$@" \
    >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$state/$name.pid"
  echo "$url" >"$state/$name.url"
  echo "$model" >"$state/$name.model"
  local deadline=$((SECONDS + wait))
  until curl -fs -o /dev/null --max-time 2 "$url/health"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$state/$name".{pid,url,model}
      echo "llamacpp.sh: llama-server '$name' exited while starting; the end of $log:" >&2
      tail -5 "$log" >&2
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      stop_one "$name"
      die 1 "llama-server '$name' did not answer $url/health within $wait s (see $log)"
    fi
    sleep 0.05
  done
  echo "$url"
}

run() {
  local args=() model=""
  while [ $# -gt 0 ]; do
    case "$1" in
      -m|--model) model="$2"; shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  [ -n "$model" ] || model="$(builtin_model)"
  [ -f "$model" ] || die 2 "run: -m '$model' is not a file"
  provision
  mkdir -p "$rootfs/models"
  mount_proc
  local file="$rootfs/models/$(basename "$model")"
  cmp -s "$model" "$file" 2>/dev/null || cp "$model" "$file"
  exec chroot "$rootfs" /usr/bin/llama-server -m "/models/$(basename "$model")" "${args[@]}"
}
stop_one() {
  local name="$1" pid
  [ -f "$state/$name.pid" ] || return 0
  pid="$(cat "$state/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$state/$name".{pid,url,model}
}

stop() {
  local names=()
  case "${1:-}" in
    --all) for f in "$state"/*.pid; do [ -e "$f" ] && names+=("$(basename "$f" .pid)"); done ;;
    --name) names=("$2") ;;
    "") names=(default) ;;
    *) die 2 "stop: unknown option '$1'" ;;
  esac
  for n in "${names[@]}"; do stop_one "$n"; done
  # The last server gone, the chroot's /proc is unmounted.
  if ! ls "$state"/*.pid >/dev/null 2>&1 && mountpoint -q "$rootfs/proc" 2>/dev/null; then umount "$rootfs/proc" || true; fi
}

status() {
  local want="" found=1
  [ "${1:-}" = --name ] && want="$2"
  for f in "$state"/*.pid; do
    [ -e "$f" ] || continue
    local n
    n="$(basename "$f" .pid)"
    [ -z "$want" ] || [ "$n" = "$want" ] || continue
    if running "$n"; then
      echo "$n $(cat "$state/$n.url") pid $(cat "$f") model $(cat "$state/$n.model")"
      found=0
    else
      echo "$n exited (log: $state/$n.log)"
    fi
  done
  [ -z "$want" ] && [ -x "$rootfs/usr/bin/llama-server" ] && return 0
  return $found
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  provision) provision; echo "$rootfs" ;;
  start) start "$@" ;;
  run) run "$@" ;;
  stop) stop "$@" ;;
  status) status "$@" ;;
  version) provision; chroot "$rootfs" /usr/bin/llama-server --version 2>&1 | grep -m1 '^version' ;;
  *) die 2 "usage: llamacpp.sh provision|start|run|stop|status|version (see the comment at the top of this script)" ;;
esac
