#!/usr/bin/env bash
# Bulk-predict benchmark (issue 15): N Fashion-MNIST test images as PNGs, one exported model;
# local single-threaded (--threads 1), local on every core (default), and queue mode with 2 local
# workers (--threads 1 each) on a throwaway redis-server. Prints one markdown row per mode with
# wall time and img/s of the whole command, the img/s predict's own summary line reports (from
# the first chunk to the last row: process start-up, model hashing and the file walk left out),
# CPU seconds (user+sys of every process) and the load average.
# usage: tools/scripts/bench-bulk-predict.sh MODEL.onnx [PER_CLASS=500]
set -euo pipefail
cd "$(dirname "$0")/../.."
model=$1
per=${2:-500}
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
node --import tsx tools/src/fashion-mnist/materialize.ts --out "$work/images" --per-class "$per" --split test >/dev/null
n=$((per * 10))
H="node apps/cli/bin/headstart.js"
row() { # mode, wall, cpu (the run's summary line is in $work/err)
  run=$(sed -n 's/^predicted .* images in \([0-9.]*\) s .*/\1/p' "$work/err" | tail -1)
  rates+=("$(echo "$n / $2" | bc -l) $(echo "$n / $run" | bc -l)")
  printf '| %s | %d | %.1f | %.0f | %.0f | %.1f | %s |\n' "$1" "$n" "$2" "$(echo "$n / $2" | bc -l)" "$(echo "$n / $run" | bc -l)" "$3" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
timed() { # label, command... ; CPU from /usr/bin/time
  /usr/bin/time -f '%e %U %S' -o "$work/t" "${@:2}" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r wall user sys <"$work/t"
  row "$1" "$wall" "$(echo "$user + $sys" | bc -l)"
}
rates=()
echo "| mode | images | wall s | img/s (command) | img/s (run) | CPU s | load (1/5/15 min, after) |"
echo "|---|---|---|---|---|---|---|"
timed 'local, --threads 1' $H predict "$model" "$work/images" --out "$work/one.csv" --threads 1
timed 'local, every core (default)' $H predict "$model" "$work/images" --out "$work/all.csv"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --daemonize yes --pidfile "$work/redis.pid" >/dev/null
sleep 0.5
for i in 1 2; do
  $H worker --queue "redis://127.0.0.1:$port" --threads 1 >"$work/w$i.log" 2>&1 &
  echo $! >"$work/w$i.pid"
done
sleep 5
/usr/bin/time -f '%e %U %S' -o "$work/t" $H predict "$model" "$work/images" --out "$work/queue.csv" --queue "redis://127.0.0.1:$port" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
# Workers' CPU (user+sys) from /proc before they stop, in seconds.
wcpu=$(for i in 1 2; do awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$(cat "$work/w$i.pid")/stat"; done | awk '{c += $1} END {print c}')
kill -TERM "$(cat "$work/w1.pid")" "$(cat "$work/w2.pid")"
wait "$(cat "$work/w1.pid")" "$(cat "$work/w2.pid")" || true
rm -f "$work"/w?.pid
read -r wall user sys <"$work/t"
cpu=$(echo "$wcpu + $user + $sys" | bc -l)
row 'queue, 2 local workers (--threads 1 each)' "$wall" "$cpu"
diff <(tail -n +2 "$work/one.csv" | sort) <(tail -n +2 "$work/queue.csv" | sort) >/dev/null && echo "queue output = local output: yes" || echo "queue output = local output: NO"
diff <(tail -n +2 "$work/one.csv" | sort) <(tail -n +2 "$work/all.csv" | sort) >/dev/null && echo "--threads 1 output = default output: yes" || echo "--threads 1 output = default output: NO"
ratio() { # index a, index b, field (1 = command, 2 = run)
  echo "$(echo "${rates[$1]}" | cut -d' ' -f"$3") / $(echo "${rates[$2]}" | cut -d' ' -f"$3")" | bc -l | xargs printf '%.2f'
}
echo "default / --threads 1: $(ratio 1 0 1)× (command), $(ratio 1 0 2)× (run)   [target ≥ 1.7×]"
echo "queue / default: $(ratio 2 1 1) (command), $(ratio 2 1 2) (run)   [target ≥ 0.85]"
