// One loaded model: the ORT session plus everything derived from it once at load time (I/O
// metadata, providers in use, GPU staging). Immutable after creation except for the GPU pinned
// buffer pool, which has its own lock, so any number of threads may run it at once (ORT's
// Session::Run is thread-safe for concurrent calls).
#pragma once

#include <onnxruntime_cxx_api.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dtype_table.h"
#include "options.h"

namespace infergate {

class GpuStaging;

struct IoMeta {
  std::string name;
  const DTypeInfo* dtype = nullptr;
  std::vector<int64_t> shape;          // -1 for a dynamic dim
  std::vector<std::string> dimNames;   // symbolic names, "" where fixed or unnamed
};

struct SessionEntry {
  SessionEntry();
  ~SessionEntry();
  SessionEntry(const SessionEntry&) = delete;
  SessionEntry& operator=(const SessionEntry&) = delete;

  std::string key;
  std::unique_ptr<Ort::Session> session;
  std::vector<IoMeta> inputs;
  std::vector<IoMeta> outputs;
  std::vector<std::string> providers;  // in use, e.g. {"cuda", "cpu"} or {"cpu"}
  std::string fallbackReason;
  // Set only when a GPU provider is active; declared after `session` so it is destroyed first
  // (its pinned buffers come from the session's allocator).
  std::unique_ptr<GpuStaging> gpu;

  int FindInput(std::string_view name) const;
  int FindOutput(std::string_view name) const;

  // Live sessions in the process, including ones whose last handle is gone while a run that
  // started before is still in flight.
  static size_t LiveCount();
};

using EntryPtr = std::shared_ptr<SessionEntry>;

struct ModelSource {
  std::string path;              // realpath of the file, when loading from a file
  const void* bytes = nullptr;   // model bytes, when loading from memory (caller keeps them alive)
  size_t size = 0;
  std::string label;             // how messages name the model
};

// The process-wide ORT environment: created once, never destroyed (sessions may outlive any
// JS environment, and ORT must not be torn down during process exit while threads run).
Ort::Env& ProcessEnv();

// Creates the ORT session and its metadata. Throws AddonError (IG_MODEL_LOAD_FAILED) with ORT's
// message and the model's name on failure. Runs on any thread.
std::unique_ptr<SessionEntry> CreateEntry(const std::string& key, const ModelSource& source,
                                          const SessionConfig& config);

}  // namespace infergate
