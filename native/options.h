// Session options: parsed from JS once (on the JS thread) into a plain C++ SessionConfig, which
// can then travel to a worker thread (Session.loadAsync) and into the registry key. Building
// Ort::SessionOptions from it appends the execution providers in priority order and applies
// the fallback policy for providers that cannot be used.
#pragma once

#include <napi.h>
#include <onnxruntime_cxx_api.h>

#include <string>
#include <utility>
#include <vector>

namespace infergate {

struct ProviderConfig {
  std::string name;  // "cpu" | "cuda" | "tensorrt"
  int deviceId = 0;
  bool fp16 = false;            // tensorrt only
  std::string engineCacheDir;   // tensorrt only; empty = no engine cache
  std::vector<std::pair<std::string, std::string>> extra;  // ORT provider option key/values
};

struct SessionConfig {
  std::vector<ProviderConfig> providers;  // never empty; the last is always "cpu"
  int intraOpThreads = 0;                 // 0 = ORT's default
  int interOpThreads = 0;                 // 0 = ORT's default; > 1 selects parallel execution
  bool allowSpinning = false;
  GraphOptimizationLevel optLevel = ORT_ENABLE_ALL;
  bool fallbackToCpu = false;             // providerFallback: 'cpu'
  std::string userKey;                    // options.key (bytes sources), may be empty

  // Stable text of every option that changes the session; part of the registry key.
  std::string Canonical() const;
};

// Validates `options` (undefined or an object). Throws AddonError (TypeError/RangeError) with
// messages of one shape: "options.intraOpThreads must be a non-negative integer".
SessionConfig ParseSessionConfig(const Napi::Value& options);

struct BuiltOptions {
  Ort::SessionOptions options;
  std::vector<std::string> providers;  // in use, priority order, always ending in "cpu"
  std::string fallbackReason;          // non-empty when a requested provider was skipped
};

// Builds ORT session options. With cpuOnly, GPU providers are not appended at all (used for
// the CPU retry when a GPU session fails to initialise under providerFallback 'cpu').
// Under 'fail', an unavailable provider throws an Error carrying ORT's message.
BuiltOptions BuildSessionOptions(const SessionConfig& config, bool cpuOnly);

}  // namespace infergate
