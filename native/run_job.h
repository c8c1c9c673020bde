// One inference call, prepared on the JS thread (tensor_convert.cc), executed on any thread
// (ExecuteJob), converted back on the JS thread. It holds raw pointers into caller memory: the
// caller (SessionWrap) keeps the owning JS typed arrays referenced until the job is done.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstddef>
#include <vector>

#include "dtype_table.h"
#include "session_entry.h"

namespace infergate {

struct InputView {
  const DTypeInfo* dtype = nullptr;
  const void* data = nullptr;  // caller memory (numeric dtypes)
  size_t bytes = 0;
  std::vector<int64_t> shape;
};

// Where an output ends up. `prebound`: ORT writes straight into the caller's buffer (the
// Ort::Value in outValues wraps it). Otherwise ORT allocates and the result is copied once into
// the caller's buffer when one of the right byte length was given, else into a new ArrayBuffer.
struct OutputTarget {
  void* callerData = nullptr;  // caller's outputBuffers[name] memory, or null
  size_t callerBytes = 0;
  bool prebound = false;
};

struct RunJob {
  EntryPtr entry;  // keeps the session alive even if the handle is unloaded mid-run
  std::vector<const char*> inNames;      // point into entry->inputs[*].name
  std::vector<Ort::Value> inValues;      // tensors over caller memory (no copy)
  std::vector<InputView> inputs;         // same order as inNames
  std::vector<int> outIndex;             // model output index per requested output
  std::vector<const char*> outNames;     // point into entry->outputs[*].name
  std::vector<Ort::Value> outValues;     // pre-bound or empty before the run; results after
  std::vector<OutputTarget> outTargets;
};

// Runs the job on the calling thread: plain Session::Run on CPU, IoBinding + pinned staging
// when a GPU provider is active. Throws Ort::Exception on failure.
void ExecuteJob(RunJob& job);

}  // namespace infergate
