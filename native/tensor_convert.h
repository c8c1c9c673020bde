// JS <-> ORT tensor conversion. PrepareRun validates everything about a run() call against the
// model's metadata before ORT sees it, and wraps caller memory without copying; OutputsToJs
// turns the results into {dtype, shape, data} objects. Both run on the JS thread only.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "run_job.h"

namespace infergate {

struct PreparedRun {
  std::unique_ptr<RunJob> job;
  // JS values whose memory the job points into (input typed arrays, output buffers): the caller
  // must keep them alive until the job has finished.
  std::vector<Napi::Value> keepAlive;
  // Per requested output: the typed array the result lands in when known before the run
  // (caller's outputBuffers[name], or one the addon allocated because the output shape could be
  // derived from the inputs); undefined otherwise.
  std::vector<Napi::Value> outputArrays;
};

PreparedRun PrepareRun(Napi::Env env, const EntryPtr& entry, const Napi::Value& inputs, const Napi::Value& opts);

// `outputArrays` as returned by PrepareRun (possibly re-read from references after an async run).
Napi::Object OutputsToJs(Napi::Env env, RunJob& job, const std::vector<Napi::Value>& outputArrays);

}  // namespace infergate
