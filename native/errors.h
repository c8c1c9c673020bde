// Error bridging. Inside the addon every failure is a C++ exception; at each JS entry point
// Guard() turns it into a JS error of the right class, carrying a stable `code` from the error
// catalogue (src/protocol/errors.ts):
//   TypeError  - a JS value of the wrong type (not a typed array, wrong typed-array class, a
//                non-string in a string tensor, a tensor whose dtype differs from the model's)
//   RangeError - a value out of range (unknown input/output name, missing input, shape or rank
//                mismatch, byte length != product(shape) * dtype size, negative dims)
//   Error      - lifecycle and ORT failures (use after unload, missing or corrupt model file,
//                unavailable provider, an error ORT raises while running)
// No path lets an exception escape into Node: none of these can crash the process.
#pragma once

#include <napi.h>

#include <exception>
#include <stdexcept>
#include <string>

namespace infergate {

enum class ErrKind { kType, kRange, kError };

class AddonError : public std::runtime_error {
 public:
  AddonError(ErrKind kind, const char* code, const std::string& message)
      : std::runtime_error(message), kind_(kind), code_(code) {}
  ErrKind kind() const { return kind_; }
  const char* code() const { return code_; }

 private:
  ErrKind kind_;
  const char* code_;  // static string from the catalogue
};

inline AddonError TypeErr(const char* code, const std::string& msg) { return {ErrKind::kType, code, msg}; }
inline AddonError RangeErr(const char* code, const std::string& msg) { return {ErrKind::kRange, code, msg}; }
inline AddonError LifecycleErr(const char* code, const std::string& msg) { return {ErrKind::kError, code, msg}; }

// Builds the JS error for an exception. `fallbackCode` is used for ORT and other exceptions
// (IG_MODEL_LOAD_FAILED while loading, IG_INFERENCE_FAILED while running).
Napi::Error ToJsError(Napi::Env env, const std::exception_ptr& e, const char* fallbackCode);

// Runs `fn` and rethrows any C++ failure as a JS exception (NAPI_CPP_EXCEPTIONS mode).
template <class F>
auto Guard(Napi::Env env, const char* fallbackCode, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;  // already a JS error
  } catch (...) {
    throw ToJsError(env, std::current_exception(), fallbackCode);
  }
}

// Quotes a name for messages: 'x'.
inline std::string Q(const std::string& s) { return "'" + s + "'"; }

}  // namespace infergate
