// Session.load / loadAsync arguments -> what the registry needs (key, source, options).
#pragma once

#include <napi.h>

#include <string>

#include "options.h"
#include "session_entry.h"

namespace infergate {

struct LoadRequest {
  std::string key;
  ModelSource source;  // for bytes, points into `bytes` below (kept alive by the caller)
  SessionConfig config;
  Napi::Value bytes;   // the Uint8Array / ArrayBuffer, when loading from memory
};

// Registry key: "<realpath>?<options>" for files, "bytes:<fnv1a64>:<size>?<options>" for bytes;
// options.key, when given, replaces the part before '?'.
LoadRequest ParseLoadRequest(Napi::Env env, const Napi::Value& source, const Napi::Value& options);

}  // namespace infergate
