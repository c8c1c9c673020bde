#!/bin/bash
# usage: ab.sh WORKLOAD CONC REPS DIR_A DIR_B  -> appends json lines to /tmp/ab/out-<tag>
W=$1; C=$2; R=$3; A=$4; B=$5; TAG=${6:-run}
PORT=18123
for r in $(seq 1 $R); do
 for v in A B; do
  d=$A; [ $v = B ] && d=$B
  cd $d
  node --max-semi-space-size=64 bin/infergate.js serve --model-repository ${REPO:-/work/main/models} --port $PORT --log-level warn > ${OUT:-/tmp/ab}/srv-$v.log 2>&1 &
  pid=$!
  for i in $(seq 1 100); do curl -sf localhost:$PORT/v2/health/ready >/dev/null && break; sleep 0.1; done
  node /work/main/dist/bench/loadgen/cli.js --url http://127.0.0.1:$PORT --protocol flatbuffers --workload $W --concurrency $C --duration-s 2 --quiet --no-metrics >/dev/null 2>&1
  node /work/main/dist/bench/loadgen/cli.js --url http://127.0.0.1:$PORT --protocol flatbuffers --workload $W --concurrency $C --duration-s 6 --server-pid $pid --json ${OUT:-/tmp/ab}/$TAG-$v-$r.json --quiet >/dev/null 2>&1
  kill $pid; wait $pid 2>/dev/null
  node -e "const j=require('${OUT:-/tmp/ab}/$TAG-$v-$r.json'); const e=j.efficiency||{}; console.log('$v $r', Math.round(j.throughput.requestsPerS), Math.round(j.throughput.rowsPerS), j.latencyUs.p99, JSON.stringify(e))"
 done
done
