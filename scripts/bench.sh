#!/usr/bin/env bash
# Throughput, CPU and memory of ferrokv next to redis-server 7.0, same workloads, same
# settings (persistence off: --save '' --appendonly no, unless a variant says otherwise).
#
# For each workload and pipeline depth, redis-benchmark runs against both servers in
# alternation (the order flips every run) with the same request count, sized from a short
# probe so that one run takes about BENCH_SECONDS. Each server's CPU time (utime+stime
# from /proc/PID/stat) is read before and after every run, so the table shows the server
# side cost per request, not just the client-observed rate. Then memory: 1M SETs of
# 16-byte keys and 3-byte values loaded with redis-cli --pipe into a fresh server of each
# kind, RSS per key, and RSS after FLUSHALL (is memory given back?).
#
# Usage: scripts/bench.sh            (everything; about 3-4 minutes plus the release build)
# Environment (all optional):
#   BENCH_WORKLOADS="ping_inline ping_mbulk set get incr mset hset lpush lpop sadd spop lrange_100 lrange_300 lrange_600 zadd zpopmin evalsha_incr evalsha_10cmd"
#                              (redis-benchmark -t names; evalsha_* are EVALSHA of a script
#                              loaded into both servers first: see script_body)
#   BENCH_PIPELINES="1 16"     pipeline depths (-P)
#   BENCH_CLIENTS=50           connections (-c)
#   BENCH_KEYSPACE=1000000     random key range (-r)
#   BENCH_SECONDS=4            target duration of one run
#   BENCH_ROUNDS=1             repetitions of every run (the table shows the mean)
#   BENCH_VARIANTS="none"      persistence variants, any of: none everysec always
#   BENCH_MEMORY=1             0 skips the memory part; BENCH_MEM_KEYS=1000000
#   BENCH_MEM_ZSET=1           0 skips the sorted-set memory part (one set of BENCH_MEM_KEYS members)
#   BENCH_THROUGHPUT=1         0 skips the throughput part
#   BENCH_BUILD=1              0 skips `cargo build --release`
#   BENCH_AOF=0                1 also runs scripts/bench_aof.sh (the AOF figures: everysec
#                              and always throughput, loading and rewriting 1M keys), with
#                              its own BENCH_AOF_* settings, appending to the same output
#   FERROKV_BIN=target/release/ferrokv-server   REDIS_BIN=redis-server
#   BENCH_OUT=target/bench/bench-<time>.txt     where the tables are also written
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

WORKLOADS=${BENCH_WORKLOADS:-"ping_inline ping_mbulk set get incr mset hset lpush lpop sadd spop lrange_100 lrange_300 lrange_600 zadd zpopmin evalsha_incr evalsha_10cmd"}
PIPELINES=${BENCH_PIPELINES:-"1 16"}
CLIENTS=${BENCH_CLIENTS:-50}
KEYSPACE=${BENCH_KEYSPACE:-1000000}
SECONDS_PER_RUN=${BENCH_SECONDS:-4}
ROUNDS=${BENCH_ROUNDS:-1}
VARIANTS=${BENCH_VARIANTS:-"none"}
MEMORY=${BENCH_MEMORY:-1}
MEM_KEYS=${BENCH_MEM_KEYS:-1000000}
MEM_ZSET=${BENCH_MEM_ZSET:-1}
THROUGHPUT=${BENCH_THROUGHPUT:-1}
BUILD=${BENCH_BUILD:-1}
AOF=${BENCH_AOF:-0}
FERROKV_BIN=${FERROKV_BIN:-$ROOT/target/release/ferrokv-server}
REDIS_BIN=${REDIS_BIN:-$(command -v redis-server || echo /usr/bin/redis-server)}
BENCH=${REDIS_BENCHMARK:-$(command -v redis-benchmark || echo /usr/bin/redis-benchmark)}
CLI=${REDIS_CLI:-$(command -v redis-cli || echo /usr/bin/redis-cli)}
mkdir -p "$ROOT/target/bench"
OUT=${BENCH_OUT:-$ROOT/target/bench/bench-$(date +%Y%m%d-%H%M%S).txt}

# Extra directives of each persistence variant (given to both servers).
variant_args() {
    case "$1" in
        none) echo "--appendonly no" ;;
        everysec) echo "--appendonly yes --appendfsync everysec" ;;
        always) echo "--appendonly yes --appendfsync always" ;;
        *) echo "unknown variant '$1' (none everysec always)" >&2; exit 2 ;;
    esac
}

for tool in "$REDIS_BIN" "$BENCH" "$CLI"; do
    [ -x "$tool" ] || { echo "missing $tool (apt-get install redis-server redis-tools)" >&2; exit 2; }
done
if [ "$BUILD" = 1 ]; then
    cargo build --release --bin ferrokv-server
fi
[ -x "$FERROKV_BIN" ] || { echo "missing $FERROKV_BIN" >&2; exit 2; }

case "$("$REDIS_BIN" --version)" in
    *v=7.0.*) ;;
    *) echo "warning: the reference is not redis-server 7.0: $("$REDIS_BIN" --version)" >&2 ;;
esac

TICKS=$(getconf CLK_TCK)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrokv-bench.XXXXXX")
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

# CPU seconds (user+system) a process used so far.
cpu_of() {
    # Fields after the ")" that closes the command name: state is 1, utime 12, stime 13.
    local stat
    stat=$(cat "/proc/$1/stat")
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    echo "${12} ${13} $TICKS" | awk '{ printf "%.4f", ($1 + $2) / $3 }'
}

# Resident set size in KiB.
rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# A port nobody listens on right now.
pick_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# Waits until FILE has a line matching PATTERN (or the process died / 30 s passed).
wait_log() {
    local file=$1 pattern=$2 pid=$3 i
    for i in $(seq 1 300); do
        grep -q "$pattern" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { echo "server exited:" >&2; cat "$file" >&2; exit 1; }
        sleep 0.1
    done
    echo "timed out waiting for '$pattern' in $file" >&2
    cat "$file" >&2
    exit 1
}

# start_server KIND VARIANT -> sets SRV_PID and SRV_PORT
start_server() {
    local kind=$1 variant=$2 dir
    dir=$(mktemp -d "$WORK/$kind.XXXXXX")
    # shellcheck disable=SC2046
    if [ "$kind" = ferrokv ]; then
        SRV_PORT=$(pick_port)
        "$FERROKV_BIN" --port "$SRV_PORT" --bind 127.0.0.1 --save '' --dir "$dir" \
            $(variant_args "$variant") >"$dir/log" 2>&1 &
        SRV_PID=$!
        PIDS+=("$SRV_PID")
        wait_log "$dir/log" "Running mode=standalone" "$SRV_PID"
        SRV_PORT=$(sed -n 's/.*Running mode=standalone, port=\([0-9]*\).*/\1/p' "$dir/log" | head -1)
    else
        SRV_PORT=$(pick_port)
        "$REDIS_BIN" --port "$SRV_PORT" --bind 127.0.0.1 --save '' --dir "$dir" \
            --daemonize no --logfile '' $(variant_args "$variant") >"$dir/log" 2>&1 &
        SRV_PID=$!
        PIDS+=("$SRV_PID")
        wait_log "$dir/log" "Ready to accept connections" "$SRV_PID"
    fi
}

stop_server() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# The Lua body of a script workload (empty for redis-benchmark's own tests): a one-line
# script, and one that runs ten commands on the key it is given.
script_body() {
    case "$1" in
        evalsha_incr) echo "return redis.call('INCR', KEYS[1])" ;;
        evalsha_10cmd) echo "local k = KEYS[1] redis.call('SET', k, 'v') redis.call('GET', k) redis.call('INCR', k .. ':n') redis.call('HSET', k .. ':h', 'f', 'v') redis.call('HGET', k .. ':h', 'f') redis.call('LPUSH', k .. ':l', 'x') redis.call('LPOP', k .. ':l') redis.call('SADD', k .. ':s', 'm') redis.call('SISMEMBER', k .. ':s', 'm') return redis.call('EXISTS', k)" ;;
        *) echo "" ;;
    esac
}

# bench PORT TEST PIPELINE N -> requests per second (redis-benchmark's own figure). The
# last line is the test's own: lrange_* first reports the LPUSH that fills the list.
bench() {
    local out body sha
    body=$(script_body "$2")
    if [ -n "$body" ]; then
        sha=$("$CLI" -p "$1" script load "$body")
        out=$("$BENCH" -p "$1" -P "$3" -n "$4" -c "$CLIENTS" -r "$KEYSPACE" --csv -q \
            evalsha "$sha" 1 "key:__rand_int__" 2>/dev/null)
        echo "$out" | awk -F'","' 'NF > 1 { gsub(/"/, "", $2); v = $2 } END { print v }'
        return
    fi
    out=$("$BENCH" -p "$1" -t "$2" -P "$3" -n "$4" -c "$CLIENTS" -r "$KEYSPACE" --csv -q 2>/dev/null)
    echo "$out" | awk -F'","' 'NR > 1 && NF > 1 { gsub(/"/, "", $2); v = $2 } END { print v }'
}

f2() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

throughput() {
    local variant=$1 fpid fport rpid rport
    start_server ferrokv "$variant"; fpid=$SRV_PID; fport=$SRV_PORT
    start_server redis "$variant"; rpid=$SRV_PID; rport=$SRV_PORT
    log ""
    log "== throughput (variant: $variant; -c $CLIENTS, -r $KEYSPACE, ~${SECONDS_PER_RUN}s per run, $ROUNDS round(s))"
    log "   ferrokv: $("$FERROKV_BIN" --version 2>/dev/null | head -1)"
    log "   redis:   $("$REDIS_BIN" --version | head -1)"
    log "$(printf '%-18s %12s %12s %7s %12s %12s %7s' workload 'rps ferrokv' 'rps redis' ratio 'cpu-us/req f' 'cpu-us/req r' 'cpu f/r')"
    local run=0 w p
    for w in $WORKLOADS; do
        for p in $PIPELINES; do
            # Size the run from a short probe against redis. The same probe also runs
            # against ferrokv (its figure unused) so that both servers hold the same data
            # when the measured runs start: SPOP and ZPOPMIN pop from what SADD and ZADD
            # left, and a probe on one side only would leave that side fewer members
            # to pop, so fewer real pops (and more cheap pops of a missing key).
            local probe n
            probe=$(bench "$rport" "$w" "$p" $((20000 * p)))
            bench "$fport" "$w" "$p" $((20000 * p)) >/dev/null
            n=$(awk -v r="${probe:-0}" -v s="$SECONDS_PER_RUN" 'BEGIN { n = int(r * s); if (n < 20000) n = 20000; print n }')
            local frps=0 rrps=0 fcpu=0 rcpu=0 i
            for i in $(seq 1 "$ROUNDS"); do
                local order="f r"
                if [ $((run % 2)) = 1 ]; then order="r f"; fi
                run=$((run + 1))
                local who
                for who in $order; do
                    local pid port c0 c1 rps
                    if [ "$who" = f ]; then pid=$fpid; port=$fport; else pid=$rpid; port=$rport; fi
                    c0=$(cpu_of "$pid")
                    rps=$(bench "$port" "$w" "$p" "$n")
                    c1=$(cpu_of "$pid")
                    local us
                    us=$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN { printf "%.3f", (b - a) * 1e6 / n }')
                    if [ "$who" = f ]; then
                        frps=$(awk -v a="$frps" -v b="${rps:-0}" 'BEGIN { print a + b }')
                        fcpu=$(awk -v a="$fcpu" -v b="$us" 'BEGIN { print a + b }')
                    else
                        rrps=$(awk -v a="$rrps" -v b="${rps:-0}" 'BEGIN { print a + b }')
                        rcpu=$(awk -v a="$rcpu" -v b="$us" 'BEGIN { print a + b }')
                    fi
                done
            done
            frps=$(awk -v a="$frps" -v r="$ROUNDS" 'BEGIN { printf "%.0f", a / r }')
            rrps=$(awk -v a="$rrps" -v r="$ROUNDS" 'BEGIN { printf "%.0f", a / r }')
            fcpu=$(awk -v a="$fcpu" -v r="$ROUNDS" 'BEGIN { printf "%.3f", a / r }')
            rcpu=$(awk -v a="$rcpu" -v r="$ROUNDS" 'BEGIN { printf "%.3f", a / r }')
            log "$(printf '%-18s %12s %12s %7s %12s %12s %7s' "$w -P$p" "$frps" "$rrps" "$(f2 "$frps" "$rrps")" "$fcpu" "$rcpu" "$(f2 "$fcpu" "$rcpu")")"
        done
    done
    stop_server "$fpid"
    stop_server "$rpid"
}

# The loader: MEM_KEYS distinct 16-byte keys (key:%012d, ids spread over 10^8 by a
# multiplicative permutation) with 3-byte values, as a RESP stream for redis-cli --pipe.
make_load() {
    local file=$WORK/load.resp
    [ -s "$file" ] && { echo "$file"; return; }
    awk -v n="$MEM_KEYS" 'BEGIN {
        for (i = 0; i < n; i++) {
            id = (i * 7919 + 13) % 100000000
            printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxyz\r\n", id
        }
    }' >"$file"
    echo "$file"
}

memory() {
    local variant=$1 load kind
    load=$(make_load)
    log ""
    log "== memory (variant: $variant; $MEM_KEYS SETs, 16-byte keys, 3-byte values)"
    log "$(printf '%-8s %10s %10s %8s %10s %12s %14s %14s' server 'rss0 KiB' 'rss1 KiB' dbsize 'bytes/key' 'flush KiB' 'flush+3s KiB' 'used_memory')"
    for kind in ferrokv redis; do
        start_server "$kind" "$variant"
        local pid=$SRV_PID port=$SRV_PORT r0 r1 r2 r3 keys used
        "$CLI" -p "$port" PING >/dev/null
        r0=$(rss_of "$pid")
        "$CLI" -p "$port" --pipe <"$load" >/dev/null
        keys=$("$CLI" -p "$port" DBSIZE)
        r1=$(rss_of "$pid")
        used=$("$CLI" -p "$port" INFO memory 2>/dev/null | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
        "$CLI" -p "$port" FLUSHALL >/dev/null
        r2=$(rss_of "$pid")
        sleep 3
        r3=$(rss_of "$pid")
        log "$(printf '%-8s %10s %10s %8s %10s %12s %14s %14s' "$kind" "$r0" "$r1" "$keys" \
            "$(awk -v a="$r0" -v b="$r1" -v k="$keys" 'BEGIN { if (k > 0) printf "%.1f", (b - a) * 1024 / k; else print "-" }')" \
            "$r2" "$r3" "${used:--}")"
        if [ "$keys" -lt $((MEM_KEYS * 99 / 100)) ] 2>/dev/null; then
            log "   WARNING: $kind holds $keys keys, expected $MEM_KEYS"
        fi
        stop_server "$pid"
    done
}

# One sorted set of MEM_KEYS members ("member:<i>", 8-15 bytes) with scattered integer
# scores, loaded by ZADDs of 100 pairs: RSS per element once the allocator has settled.
memory_zset() {
    local variant=$1 file=$WORK/zset.resp kind
    [ -s "$file" ] || awk -v n="$MEM_KEYS" 'BEGIN {
        for (i = 0; i < n; i += 100) {
            m = (n - i < 100) ? n - i : 100
            printf "*%d\r\n$4\r\nZADD\r\n$2\r\nzs\r\n", 2 + 2 * m
            for (j = i; j < i + m; j++) {
                s = sprintf("%d", (j * 7919) % n); e = sprintf("member:%d", j)
                printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(e), e
            }
        }
    }' >"$file"
    log ""
    log "== memory (variant: $variant; one sorted set of $MEM_KEYS members)"
    log "$(printf '%-8s %10s %10s %10s %12s %10s' server 'rss0 KiB' 'rss1 KiB' zcard 'bytes/elem' encoding)"
    for kind in ferrokv redis; do
        start_server "$kind" "$variant"
        local pid=$SRV_PID port=$SRV_PORT r0 r1 n enc
        "$CLI" -p "$port" PING >/dev/null
        r0=$(rss_of "$pid")
        "$CLI" -p "$port" --pipe <"$file" >/dev/null
        sleep 12 # past jemalloc's dirty-page decay, for both servers alike
        r1=$(rss_of "$pid")
        n=$("$CLI" -p "$port" ZCARD zs)
        enc=$("$CLI" -p "$port" OBJECT ENCODING zs)
        log "$(printf '%-8s %10s %10s %10s %12s %10s' "$kind" "$r0" "$r1" "$n" \
            "$(awk -v a="$r0" -v b="$r1" -v k="$n" 'BEGIN { if (k > 0) printf "%.1f", (b - a) * 1024 / k; else print "-" }')" "$enc")"
        stop_server "$pid"
    done
}

log "ferrokv benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores; results also in $OUT"
for v in $VARIANTS; do
    variant_args "$v" >/dev/null || exit 2
done
for v in $VARIANTS; do
    if [ "$THROUGHPUT" = 1 ]; then throughput "$v"; fi
    if [ "$MEMORY" = 1 ]; then memory "$v"; fi
    if [ "$MEMORY" = 1 ] && [ "$MEM_ZSET" = 1 ]; then memory_zset "$v"; fi
done
log ""
log "ratio = ferrokv / redis (rps: higher is better for ferrokv; cpu: lower is better)"
if [ "$AOF" = 1 ]; then
    BENCH_BUILD=0 FERROKV_BIN="$FERROKV_BIN" REDIS_BIN="$REDIS_BIN" BENCH_OUT="$OUT" \
        "$ROOT/scripts/bench_aof.sh"
fi
