#!/bin/bash
# alt.sh N "ARGS_A" "ARGS_B" [workload] [conc]: both servers up at once, loadgen alternates A/B N times (3 s each)
# REPO: a model repository with ranker/1/model.onnx and nothing else (the model as a user drops it in); DIR: the checkout
N=$1; A=$2; B=$3; W=${4:-k1}; C=${5:-1}
cd "${DIR:-.}"
node --max-semi-space-size=64 bin/infergate.js serve --model-repository "$REPO" --port 18181 --log-level warn $A > ${TMPDIR:-/tmp}/altA.log 2>&1 & pa=$!
node --max-semi-space-size=64 bin/infergate.js serve --model-repository "$REPO" --port 18182 --log-level warn $B > ${TMPDIR:-/tmp}/altB.log 2>&1 & pb=$!
for p in 18181 18182; do for i in $(seq 1 100); do curl -sf localhost:$p/v2/health/ready >/dev/null && break; sleep 0.1; done; done
for i in $(seq 1 $N); do
  for v in A B; do
    port=18181; pid=$pa; [ $v = B ] && port=18182 && pid=$pb
    node dist/bench/loadgen/cli.js --url http://127.0.0.1:$port --protocol flatbuffers --workload $W --concurrency $C --duration-s 3 --warmup-s 0.5 --server-pid $pid --json ${TMPDIR:-/tmp}/alt-$v.json --quiet --no-metrics >/dev/null 2>&1
    node -e "const j=require('${TMPDIR:-/tmp}/alt-$v.json'); const t=j.efficiency.serverCpuByThreadUsPerRequest; console.log('$v', j.latencyUs.p50, j.latencyUs.p99, Math.round(j.throughput.requestsPerS), j.efficiency.serverCpuUsPerRequest.toFixed(1), t? 'http '+t.http.toFixed(0)+' w '+t.workers.toFixed(0)+' ort '+t.ort.toFixed(0)+' spin '+t.spin.toFixed(0):'')"
  done
done
kill $pa $pb; wait 2>/dev/null
