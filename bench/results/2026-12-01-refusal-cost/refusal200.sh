#!/bin/bash
# refusal200.sh LABEL EXTRA_ARGS...: server pinned to CPU 0 (1 worker), loadgen on CPU 1, K=200 closed loop c=32, 5 s
L=$1; shift; PORT=18140
cd ${DIR:-/work/main}
taskset -c 0 node --max-semi-space-size=64 bin/infergate.js serve --model-repository models --port $PORT --workers 1 --log-level warn "$@" > ${TMPDIR:-/tmp}/ref200-$L.log 2>&1 & pid=$!
for i in $(seq 1 100); do curl -sf localhost:$PORT/v2/health/ready >/dev/null && break; sleep 0.1; done
taskset -c 1 node /work/main/dist/bench/loadgen/cli.js --url http://127.0.0.1:$PORT --protocol flatbuffers --workload k200 --concurrency 32 --duration-s 2 --quiet --no-metrics >/dev/null 2>&1
taskset -c 1 node /work/main/dist/bench/loadgen/cli.js --url http://127.0.0.1:$PORT --protocol flatbuffers --workload k200 --concurrency 32 --duration-s 5 --server-pid $pid --json ${TMPDIR:-/tmp}/ref200-$L.json --quiet --no-metrics >/dev/null 2>&1
kill $pid; wait $pid 2>/dev/null
node -e "const j=require('${TMPDIR:-/tmp}/ref200-$L.json'); const n=j.counts.answered+j.counts.errors; const cpu=j.loadgen.serverCpuPercent/100*j.elapsedS; console.log('$L', 'answered', j.counts.answered, 'errors', JSON.stringify(j.counts.errorsByStatus), 'responses/s', Math.round(n/j.elapsedS), 'server CPU us/response', (cpu*1e6/n).toFixed(1), 'server CPU %', j.loadgen.serverCpuPercent.toFixed(0))"
