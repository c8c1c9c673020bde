#!/bin/bash
# usage: k16.sh LABEL [serve flags...]: K=1 16 in flight, per-thread CPU
L=$1; shift; PORT=18170
cd /work/main
node --max-semi-space-size=64 bin/infergate.js serve --model-repository /tmp/nc --port $PORT --log-level warn "$@" > /tmp/ab/k16-$L.log 2>&1 & pid=$!
for i in $(seq 1 100); do curl -sf localhost:$PORT/v2/health/ready >/dev/null && break; sleep 0.1; done
node dist/bench/loadgen/cli.js --url http://127.0.0.1:$PORT --protocol flatbuffers --workload k1 --concurrency 16 --duration-s 6 --warmup-s 2 --server-pid $pid --json /tmp/ab/k16-$L.json --quiet >/dev/null 2>&1 &
lg=$!
sleep 3.5; node /tmp/ab/threads.mjs $pid 4 > /tmp/ab/k16-$L.thr
wait $lg
kill $pid; wait $pid 2>/dev/null
node -e "const j=require('/tmp/ab/k16-$L.json'); const e=j.efficiency; console.log('$L', 'rps', Math.round(j.throughput.requestsPerS), 'p99', j.latencyUs.p99, 'cpu/req', e.serverCpuUsPerRequest.toFixed(1), 'batch', e.meanBatchRows.toFixed(2))"
cat /tmp/ab/k16-$L.thr
