#!/bin/bash
L=$1; shift; PORT=18160
cd /work/main
node --max-semi-space-size=64 bin/infergate.js serve --model-repository models --port $PORT --log-level warn "$@" > /tmp/ab/c1-$L.log 2>&1 & pid=$!
for i in $(seq 1 100); do curl -sf localhost:$PORT/v2/health/ready >/dev/null && break; sleep 0.1; done
node dist/bench/loadgen/cli.js --url http://127.0.0.1:$PORT --protocol flatbuffers --workload k1 --concurrency 1 --duration-s 4 --warmup-s 1 --server-pid $pid --json /tmp/ab/c1-$L.json --quiet >/dev/null 2>&1
kill $pid; wait $pid 2>/dev/null
node -e "const j=require('/tmp/ab/c1-$L.json'); const m=j.server?.means??{}; console.log('$L', 'p50', j.latencyUs.p50, 'p99', j.latencyUs.p99, 'rps', Math.round(j.throughput.requestsPerS), 'cpu/req', j.efficiency.serverCpuUsPerRequest.toFixed(0), 'read', (m.infergate_body_read_duration_us??0).toFixed(1), 'decode', (m.infergate_decode_duration_us??0).toFixed(1), 'queue', (m.infergate_queue_duration_us??0).toFixed(1), 'compute', (m.infergate_compute_duration_us??0).toFixed(1), 'encode', (m.infergate_encode_duration_us??0).toFixed(1), 'req', (m.infergate_request_duration_us??0).toFixed(1))"
