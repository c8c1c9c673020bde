#!/bin/bash
# gc.sh DIR LABEL: K=200 c16, 6 s, count GC events of the HTTP thread (--trace-gc)
d=$1; PORT=18124
cd $d
node --max-semi-space-size=64 --trace-gc bin/infergate.js serve --model-repository /work/main/models --port $PORT --log-level warn > /tmp/ab/gc-$2.log 2>&1 &
pid=$!
for i in $(seq 1 100); do curl -sf localhost:$PORT/v2/health/ready >/dev/null && break; sleep 0.1; done
node /work/main/dist/bench/loadgen/cli.js --url http://127.0.0.1:$PORT --protocol flatbuffers --workload k200 --concurrency 16 --duration-s 2 --quiet --no-metrics >/dev/null 2>&1
n0=$(wc -l < /tmp/ab/gc-$2.log)
node /work/main/dist/bench/loadgen/cli.js --url http://127.0.0.1:$PORT --protocol flatbuffers --workload k200 --concurrency 16 --duration-s 6 --server-pid $pid --json /tmp/ab/gc-$2.json --quiet --no-metrics >/dev/null 2>&1
tail -n +$((n0+1)) /tmp/ab/gc-$2.log > /tmp/ab/gc-$2.window.log
kill $pid; wait $pid 2>/dev/null
echo "$2: mark-compact $(grep -c 'Mark-Compact' /tmp/ab/gc-$2.window.log) scavenge $(grep -c 'Scavenge' /tmp/ab/gc-$2.window.log) requests $(node -e "console.log(require('/tmp/ab/gc-$2.json').counts.answered)")"
grep 'Mark-Compact' /tmp/ab/gc-$2.window.log | head -2
