// Thread names, so that /proc/<pid>/task/<tid>/comm says what each thread of the server does:
// the bench splits the server's CPU by them (bench/loadgen/cpu-sample.ts), and an SRE reading
// `top -H` sees which pool is saturated. Names (Linux allows 15 bytes):
//   ig-worker-N  a worker of the pool (src/pool/worker.ts names itself at start)
//   ig-ort       an ONNX Runtime intra-/inter-op thread (SetOrtThreadCreation)
//   ig-idle-spin an idle spinner (idle_spin.cc)
// The main thread keeps the process's name ("node"): it is the HTTP thread.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <string>

namespace infergate {

constexpr size_t kMaxThreadNameBytes = 15;

// Names the calling thread. Returns false where the platform has no thread names (not Linux)
// or the call failed; callers treat a missing name as cosmetic.
bool NameThisThread(const std::string& name);

// Makes every thread ORT creates for sessions built with `so` a std::thread named "ig-ort".
// Without it ORT's threads inherit the name of whichever thread created the session.
void SetOrtThreadCreation(Ort::SessionOptions& so);

}  // namespace infergate
