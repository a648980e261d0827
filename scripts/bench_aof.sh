#!/usr/bin/env bash
# The append-only file's figures, ferrokv next to redis-server 7.0 with the same settings:
#
#  1. appendfsync everysec: SET throughput of ferrokv with the AOF, ferrokv without it, and
#     redis-server with everysec (-c 50, pipelines 1 and 16).
#  2. appendfsync always: SET, 50 clients, no pipelining, ferrokv vs redis-server (group
#     commit: one fdatasync per loop iteration covers every client of the iteration).
#  3. Loading a 1M-key AOF (a base of 1M SETs): time from start to the first PING answered,
#     and the server's own "DB loaded" figure, on both servers.
#  4. Latency while a rewrite of that 1M-key dataset runs: redis-benchmark's max latency
#     for SET/GET with and without a BGREWRITEAOF in progress, on both servers.
#
# Runs alternate between the servers (the order flips every round). Called by
# scripts/bench.sh (BENCH_AOF=1) or on its own.
#
# Environment (all optional):
#   BENCH_AOF_N=300000         requests per throughput run
#   BENCH_AOF_ROUNDS=2         rounds per throughput figure (the mean is shown)
#   BENCH_AOF_KEYS=1000000     keys of the loading / rewrite dataset
#   BENCH_AOF_SECTIONS="everysec always load rewrite"
#   BENCH_AOF_PIPELINES="1 16"  pipeline depths of the everysec table
#   BENCH_BUILD=1              0 skips `cargo build --release`
#   FERROKV_BIN=target/release/ferrokv-server   REDIS_BIN=redis-server
#   BENCH_OUT=target/bench/aof-<time>.txt
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${BENCH_AOF_N:-300000}
ROUNDS=${BENCH_AOF_ROUNDS:-2}
KEYS=${BENCH_AOF_KEYS:-1000000}
SECTIONS=${BENCH_AOF_SECTIONS:-"everysec always load rewrite"}
BUILD=${BENCH_BUILD:-1}
FERROKV_BIN=${FERROKV_BIN:-$ROOT/target/release/ferrokv-server}
REDIS_BIN=${REDIS_BIN:-$(command -v redis-server || echo /usr/bin/redis-server)}
BENCH=${REDIS_BENCHMARK:-$(command -v redis-benchmark || echo /usr/bin/redis-benchmark)}
CLI=${REDIS_CLI:-$(command -v redis-cli || echo /usr/bin/redis-cli)}
mkdir -p "$ROOT/target/bench"
OUT=${BENCH_OUT:-$ROOT/target/bench/aof-$(date +%Y%m%d-%H%M%S).txt}

for tool in "$REDIS_BIN" "$BENCH" "$CLI"; do
    [ -x "$tool" ] || { echo "missing $tool (apt-get install redis-server redis-tools)" >&2; exit 2; }
done
if [ "$BUILD" = 1 ]; then
    cargo build --release --bin ferrokv-server
fi
[ -x "$FERROKV_BIN" ] || { echo "missing $FERROKV_BIN" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrokv-bench-aof.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "$@" | tee -a "$OUT"; }

pick_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

now_ms() { date +%s%3N; }

# start KIND DIR ARGS... -> SRV_PID SRV_PORT; returns once PING is answered.
start() {
    local kind=$1 dir=$2 i
    shift 2
    SRV_PORT=$(pick_port)
    mkdir -p "$dir"
    if [ "$kind" = ferrokv ]; then
        "$FERROKV_BIN" --port "$SRV_PORT" --bind 127.0.0.1 --save '' --dir "$dir" "$@" >"$dir/log" 2>&1 &
    else
        "$REDIS_BIN" --port "$SRV_PORT" --bind 127.0.0.1 --save '' --dir "$dir" \
            --daemonize no --logfile '' "$@" >"$dir/log" 2>&1 &
    fi
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    for i in $(seq 1 6000); do
        if [ "$("$CLI" -p "$SRV_PORT" PING 2>/dev/null)" = PONG ]; then
            return 0
        fi
        kill -0 "$SRV_PID" 2>/dev/null || { echo "server exited:" >&2; cat "$dir/log" >&2; exit 1; }
        sleep 0.01
    done
    echo "server did not start" >&2
    exit 1
}

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# bench PORT TEST PIPELINE N [CLIENTS] -> the CSV line's fields: rps avg min p50 p95 p99 max
bench() {
    "$BENCH" -p "$1" -t "$2" -P "$3" -n "$4" -c "${5:-50}" -r 1000000 --csv -q 2>/dev/null |
        awk -F'","' 'NR > 1 && NF > 1 { gsub(/"/, ""); n = split($0, f, ","); for (i = 2; i <= n; i++) printf "%s ", f[i]; print ""; exit }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
mean() { awk -v a="$1" -v r="$2" 'BEGIN { printf "%.0f", a / r }'; }

# Throughput of SET for several server setups, alternating: NAME=KIND:ARGS...
throughput_table() {
    local title=$1 pipelines=$2 clients=$3
    shift 3
    local setups=("$@") names=() pids=() ports=() s i
    for s in "${setups[@]}"; do
        local name=${s%%=*} rest=${s#*=}
        local kind=${rest%%:*} args=${rest#*:}
        # shellcheck disable=SC2086
        start "$kind" "$WORK/tp-$name" $args
        names+=("$name"); pids+=("$SRV_PID"); ports+=("$SRV_PORT")
    done
    log ""
    log "== $title (SET, -c $clients, -n $N, $ROUNDS round(s), mean rps)"
    local header
    header=$(printf '%-8s' pipeline)
    for s in "${names[@]}"; do header+=$(printf ' %16s' "$s"); done
    log "$header"
    local p run=0
    for p in $pipelines; do
        local sums=() k
        for k in "${!names[@]}"; do sums[$k]=0; done
        for i in $(seq 1 "$ROUNDS"); do
            local order=("${!names[@]}")
            if [ $((run % 2)) = 1 ]; then
                local rev=() j
                for ((j = ${#order[@]} - 1; j >= 0; j--)); do rev+=("${order[$j]}"); done
                order=("${rev[@]}")
            fi
            run=$((run + 1))
            for k in "${order[@]}"; do
                local rps
                rps=$(bench "${ports[$k]}" set "$p" "$N" "$clients" | awk '{ print $1 }')
                sums[$k]=$(awk -v a="${sums[$k]}" -v b="${rps:-0}" 'BEGIN { print a + b }')
            done
        done
        local line
        line=$(printf '%-8s' "-P$p")
        for k in "${!names[@]}"; do
            sums[$k]=$(mean "${sums[$k]}" "$ROUNDS")
            line+=$(printf ' %16s' "${sums[$k]}")
        done
        log "$line"
        local r=""
        for k in "${!names[@]}"; do
            [ "$k" = 0 ] && continue
            r+="$(printf '%s/%s=%s  ' "${names[0]}" "${names[$k]}" "$(ratio "${sums[0]}" "${sums[$k]}")")"
        done
        log "         $r"
    done
    for k in "${!names[@]}"; do stop "${pids[$k]}"; done
}

# A directory holding an AOF base of KEYS SETs (key:%012d -> 3-byte value), in Redis 7.0's
# layout; copied for each server so neither sees the other's changes.
make_aof_dir() {
    local d=$WORK/aof-src
    if [ ! -d "$d" ]; then
        mkdir -p "$d/appendonlydir"
        awk -v n="$KEYS" 'BEGIN {
            printf "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
            for (i = 0; i < n; i++) {
                id = (i * 7919 + 13) % 100000000
                printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxyz\r\n", id
            }
        }' >"$d/appendonlydir/appendonly.aof.1.base.aof"
        : >"$d/appendonlydir/appendonly.aof.1.incr.aof"
        printf 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n' \
            >"$d/appendonlydir/appendonly.aof.manifest"
    fi
    echo "$d"
}

load_section() {
    local src size
    src=$(make_aof_dir)
    size=$(stat -c %s "$src/appendonlydir/appendonly.aof.1.base.aof")
    log ""
    log "== loading a $KEYS-key AOF ($((size / 1048576)) MiB of SETs; wall time to the first PING answered, and the server's own figure)"
    log "$(printf '%-8s %6s %12s %14s %10s' server round 'wall ms' 'loaded (log)' dbsize)"
    local round kind
    for round in 1 2; do
        local kinds="ferrokv redis"
        [ "$round" = 2 ] && kinds="redis ferrokv"
        for kind in $kinds; do
            local d=$WORK/load-$kind-$round t0 t1 keys said
            rm -rf "$d"; cp -r "$src" "$d"
            t0=$(now_ms)
            start "$kind" "$d" --appendonly yes --aof-use-rdb-preamble no
            t1=$(now_ms)
            keys=$("$CLI" -p "$SRV_PORT" DBSIZE)
            said=$(sed -n 's/.*DB loaded from append only file: \([0-9.]*\) seconds.*/\1 s/p' "$d/log" | head -1)
            log "$(printf '%-8s %6s %12s %14s %10s' "$kind" "$round" "$((t1 - t0))" "${said:--}" "$keys")"
            stop "$SRV_PID"
        done
    done
}

rewrite_section() {
    local src
    src=$(make_aof_dir)
    log ""
    log "== latency while rewriting the $KEYS-key dataset (SET+GET, -c 10, redis-benchmark max latency; ms)"
    log "(max latency on this shared machine is dominated by scheduling noise: compare with the idle row;"
    log " 'loop held' is how long the server's loop itself was busy starting / finishing the rewrite)"
    log "$(printf '%-8s %-16s %12s %10s %10s %10s %12s %12s %10s %16s' server phase rps 'p50' 'p99' 'max' 'rewrite s' 'cow KiB' 'fork ms' 'loop held ms')"
    local kind
    for kind in ferrokv redis; do
        local d=$WORK/rw-$kind
        rm -rf "$d"; cp -r "$src" "$d"
        start "$kind" "$d" --appendonly yes --aof-use-rdb-preamble no --appendfsync everysec
        local port=$SRV_PORT pid=$SRV_PID phase
        for phase in idle during-rewrite; do
            if [ "$phase" = during-rewrite ]; then
                "$CLI" -p "$port" BGREWRITEAOF >/dev/null
            fi
            local f
            f=$(bench "$port" set,get 1 200000 10)
            local rps p50 p99 max
            rps=$(echo "$f" | awk '{ print $1 }'); p50=$(echo "$f" | awk '{ print $4 }')
            p99=$(echo "$f" | awk '{ print $6 }'); max=$(echo "$f" | awk '{ print $7 }')
            local rs="-" cow="-" fork="-" held="-"
            if [ "$phase" = during-rewrite ]; then
                local i
                for i in $(seq 1 600); do
                    [ "$("$CLI" -p "$port" INFO persistence | tr -d '\r' | awk -F: '$1 == "aof_rewrite_in_progress" { print $2 }')" = 0 ] && break
                    sleep 0.1
                done
                rs=$("$CLI" -p "$port" INFO persistence | tr -d '\r' | awk -F: '$1 == "aof_last_rewrite_time_sec" { print $2 }')
                cow=$("$CLI" -p "$port" INFO persistence | tr -d '\r' | awk -F: '$1 == "aof_last_cow_size" { printf "%d", $2 / 1024 }')
                fork=$("$CLI" -p "$port" INFO stats | tr -d '\r' | awk -F: '$1 == "latest_fork_usec" { printf "%.1f", $2 / 1000 }')
                if [ "$kind" = ferrokv ]; then
                    local h1 h2
                    h1=$(sed -n 's/.*the loop was held \([0-9.]*\) ms.*/\1/p' "$d/log" | tail -1)
                    h2=$(sed -n 's/.*signal handler took \([0-9]*\)us.*/\1/p' "$d/log" | tail -1)
                    held=$(awk -v a="${h1:-0}" -v b="${h2:-0}" 'BEGIN { printf "%.1f/%.1f", a, b / 1000 }')
                fi
            fi
            log "$(printf '%-8s %-16s %12s %10s %10s %10s %12s %12s %10s %16s' "$kind" "$phase" "$rps" "$p50" "$p99" "$max" "$rs" "$cow" "$fork" "$held")"
        done
        stop "$pid"
    done
}

log "ferrokv AOF benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); results also in $OUT"
log "   ferrokv: $FERROKV_BIN"
log "   redis:   $("$REDIS_BIN" --version | head -1)"
for s in $SECTIONS; do
    case "$s" in
        everysec)
            throughput_table "appendfsync everysec" "${BENCH_AOF_PIPELINES:-1 16}" 50 \
                "ferrokv-es=ferrokv:--appendonly yes --appendfsync everysec" \
                "ferrokv-noaof=ferrokv:--appendonly no" \
                "redis-es=redis:--appendonly yes --appendfsync everysec --aof-use-rdb-preamble no"
            ;;
        always)
            ROUNDS=$((ROUNDS * 2)) throughput_table "appendfsync always" "1" 50 \
                "ferrokv-al=ferrokv:--appendonly yes --appendfsync always" \
                "redis-al=redis:--appendonly yes --appendfsync always --aof-use-rdb-preamble no"
            ;;
        load) load_section ;;
        rewrite) rewrite_section ;;
        *) echo "unknown section $s" >&2; exit 2 ;;
    esac
done
