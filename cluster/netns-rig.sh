# cluster/netns-rig.sh: the network-namespace rig that cluster/netns-test and
# cluster/netns-scaling share (sourced, not run). It checks for root and iproute2 (skipping, with
# the reason, without them), makes a bridge in a namespace of its own, and offers:
#   host NAME ADDRESS [RATE]   a "host": a namespace on the bridge, its link limited by tc tbf
#   start NAME HOST CMD...     CMD in HOST's namespace, output to $WORK/NAME.log
#   running / wait_for / finish  process helpers (see each)
# Everything it made (processes, namespaces, $WORK unless KEEP=1) is removed on any exit.
# The caller sets RIG_NAME, BIN and RATE before sourcing it.
# shellcheck shell=bash
say() { echo "$RIG_NAME: $*"; }
skip() { say "SKIP: $*"; exit 0; }

if [ "$(id -u)" -ne 0 ]; then skip "needs root to create network namespaces (CI runs it as root; try: sudo $0)"; fi
if ! command -v ip >/dev/null 2>&1 || ! command -v tc >/dev/null 2>&1; then
  skip "ip/tc not found (Debian package iproute2; scripts/setup installs it)"
fi
for b in gan-train gan-coord gan-worker; do
  [ -x "$BIN/$b" ] || { echo "$RIG_NAME: FAIL: $BIN/$b is missing; build first: swift build -c release" >&2; exit 1; }
done
command -v python3 >/dev/null 2>&1 || { echo "$RIG_NAME: FAIL: python3 is needed for the latency relay" >&2; exit 1; }

# A prefix unique to this run, so parallel runs (or a leftover of a killed one) never clash.
PFX="sgnt$$$(od -An -tx1 -N2 /dev/urandom | tr -d ' \n')"
NS_BR=$PFX-br
WORK=$(mktemp -d "${TMPDIR:-/tmp}/swiftgan-netns.XXXXXX")
declare -A PID=()       # process name -> pid
NAMESPACES=()
FAILED=0

cleanup() {
  local rc=$?
  for name in "${!PID[@]}"; do kill -9 "${PID[$name]}" 2>/dev/null || true; done
  for name in "${!PID[@]}"; do wait "${PID[$name]}" 2>/dev/null || true; done
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [ "$FAILED" -ne 0 ] || [ "$rc" -ne 0 ]; then
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "----- $(basename "$f") (last 25 lines)"; tail -n 25 "$f"; }; done >&2
  fi
  if [ "${KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { FAILED=1; echo "$RIG_NAME: FAIL: $*" >&2; exit 1; }

# --- the network ------------------------------------------------------------------------------
if ! ip netns add "$NS_BR" 2>"$WORK/netns.err"; then
  skip "ip netns add failed ($(cat "$WORK/netns.err")); this environment cannot create network namespaces"
fi
NAMESPACES+=("$NS_BR")
ip -n "$NS_BR" link add br0 type bridge
ip -n "$NS_BR" link set br0 up

# host NAME ADDRESS [RATE]: a namespace with eth0 on the bridge, both directions limited to RATE
# (default $RATE; "none" for no limit).
host() {
  local ns=$PFX-$1
  ip netns add "$ns"
  NAMESPACES+=("$ns")
  ip -n "$NS_BR" link add "p-$1" type veth peer name eth0 netns "$ns"
  ip -n "$NS_BR" link set "p-$1" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$2/24" dev eth0
  ip -n "$ns" link set eth0 up
  local rate=${3:-$RATE}
  if [ "$rate" != none ]; then
    tc -n "$ns" qdisc add dev eth0 root tbf rate "$rate" burst 64kb latency 100ms
    tc -n "$NS_BR" qdisc add dev "p-$1" root tbf rate "$rate" burst 64kb latency 100ms
  fi
}

# --- processes --------------------------------------------------------------------------------
# start NAME HOST COMMAND...: COMMAND in HOST's namespace, output to WORK/NAME.log.
start() {
  local name=$1 ns=$PFX-$2
  shift 2
  ip netns exec "$ns" "$@" >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
}
running() { kill -0 "${PID[$1]}" 2>/dev/null; }

# wait_for FILE PATTERN SECONDS: until FILE has a line matching PATTERN; fails on timeout or
# when the coordinator has exited first.
wait_for() {
  local deadline=$((SECONDS + $3))
  until grep -qE -- "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "no '$2' in $(basename "$1") within $3 s"
    running coord || grep -qE -- "$2" "$1" 2>/dev/null || fail "the coordinator exited before '$2' appeared in $(basename "$1")"
    sleep 0.2
  done
}

# finish NAME SECONDS: waits for NAME's exit; sets RC to its status.
finish() {
  local deadline=$((SECONDS + $2))
  while running "$1"; do
    [ $SECONDS -lt $deadline ] || fail "$1 still running after $2 s"
    sleep 0.2
  done
  RC=0   # read by the caller
  # shellcheck disable=SC2034
  wait "${PID[$1]}" || RC=$?
  unset "PID[$1]"
}

