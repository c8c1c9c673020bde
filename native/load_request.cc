#include "load_request.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "errors.h"
#include "js_util.h"

namespace infergate {

namespace {

std::string Fnv1a64Hex(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

LoadRequest ParseLoadRequest(Napi::Env env, const Napi::Value& source, const Napi::Value& options) {
  LoadRequest r;
  r.config = ParseSessionConfig(options);
  std::string prefix;
  if (source.IsString()) {
    std::string path = source.As<Napi::String>().Utf8Value();
    if (path.empty()) throw TypeErr("IG_BAD_REQUEST", "model path must be a non-empty string");
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr) {
      throw LifecycleErr("IG_MODEL_LOAD_FAILED", "cannot load model " + Q(path) + ": " + std::strerror(errno));
    }
    r.source.path = resolved;
    r.source.label = Q(path);
    prefix = r.config.userKey.empty() ? r.source.path : r.config.userKey;
  } else {
    const uint8_t* data = nullptr;
    size_t size = 0;
    TypedArrayView ta = GetTypedArray(env, source);
    if (ta.isTypedArray && ta.type == napi_uint8_array) {
      data = static_cast<const uint8_t*>(ta.data);
      size = ta.byteLength;
    } else if (source.IsArrayBuffer()) {
      Napi::ArrayBuffer ab = source.As<Napi::ArrayBuffer>();
      data = static_cast<const uint8_t*>(ab.Data());
      size = ab.ByteLength();
    } else {
      throw TypeErr("IG_BAD_REQUEST", "model source must be a file path (string) or model bytes (Uint8Array), got " + JsTypeName(source));
    }
    if (size == 0) throw RangeErr("IG_MODEL_LOAD_FAILED", "cannot load model from bytes: the buffer is empty");
    r.bytes = source;
    r.source.bytes = data;
    r.source.size = size;
    r.source.label = "from " + std::to_string(size) + " bytes" + (r.config.userKey.empty() ? "" : " (key " + Q(r.config.userKey) + ")");
    prefix = r.config.userKey.empty() ? "bytes:" + Fnv1a64Hex(data, size) + ":" + std::to_string(size) : r.config.userKey;
  }
  r.key = prefix + "?" + r.config.Canonical();
  return r;
}

}  // namespace infergate
