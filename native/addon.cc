// Module entry: binds the ORT API table once per process, then per JS environment (main thread
// or worker thread) defines Session and the process-wide helpers.
#include <napi.h>
#include <onnxruntime_cxx_api.h>

#include <mutex>
#include <string>

#include "errors.h"
#include "idle_spin.h"
#include "js_util.h"
#include "session_registry.h"
#include "session_wrap.h"
#include "thread_name.h"

namespace infergate {

namespace {

const OrtApi* BindOrtApi() {
  static const OrtApi* api = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (api != nullptr) Ort::InitApi(api);
  });
  return api;
}

Napi::Value RegistryStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RegistrySnapshot snap = SnapshotRegistry();
  Napi::Object refs = Napi::Object::New(env);
  for (const auto& [key, count] : snap.refs) refs.Set(key, count);
  Napi::Object out = Napi::Object::New(env);
  out.Set("sessions", static_cast<double>(snap.sessions));
  out.Set("refs", refs);
  return out;
}

Napi::Value AvailableProviders(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "IG_INTERNAL", [&]() -> Napi::Value {
    std::vector<std::string> providers = Ort::GetAvailableProviders();
    Napi::Array arr = Napi::Array::New(env, providers.size());
    for (size_t i = 0; i < providers.size(); ++i) arr.Set(static_cast<uint32_t>(i), providers[i]);
    return arr;
  });
}

// idleSpinStart(threads, windowUs): see idle_spin.h.
Napi::Value IdleSpinStartJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "IG_INTERNAL", [&]() -> Napi::Value {
    auto intArg = [&](size_t i, const char* what) -> double {
      if (info.Length() <= i || !info[i].IsNumber()) {
        throw TypeErr("IG_BAD_REQUEST", std::string("idleSpinStart: ") + what + " must be an integer (got " +
                                            (info.Length() <= i ? std::string("nothing") : JsTypeName(info[i])) + ")");
      }
      double v = info[i].As<Napi::Number>().DoubleValue();
      if (!(v == static_cast<double>(static_cast<int64_t>(v))) || v < -1e12 || v > 1e12) {
        throw RangeErr("IG_BAD_REQUEST", std::string("idleSpinStart: ") + what + " must be an integer");
      }
      return v;
    };
    IdleSpinStart(static_cast<int64_t>(intArg(0, "threads")), static_cast<int64_t>(intArg(1, "windowUs")));
    return env.Undefined();
  });
}

Napi::Value IdleSpinTouchJs(const Napi::CallbackInfo& info) {
  IdleSpinTouch();
  return info.Env().Undefined();
}

Napi::Value IdleSpinStopJs(const Napi::CallbackInfo& info) {
  IdleSpinStop();
  return info.Env().Undefined();
}

Napi::Value IdleSpinStatsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IdleSpinStats st = IdleSpinSnapshot();
  Napi::Object out = Napi::Object::New(env);
  out.Set("threads", st.threads);
  out.Set("sleeping", st.sleeping);
  out.Set("windowUs", static_cast<double>(st.windowUs));
  out.Set("touches", static_cast<double>(st.touches));
  out.Set("spinSeconds", st.spinSeconds);
  out.Set("policy", st.policy);
  return out;
}

// setThreadName(name): names the calling thread (thread_name.h); false where names are not
// supported. TypeError for a non-string, RangeError for more than 15 bytes (Linux's limit).
Napi::Value SetThreadNameJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "IG_INTERNAL", [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsString()) {
      throw TypeErr("IG_BAD_REQUEST", "setThreadName: name must be a string (got " +
                                          (info.Length() < 1 ? std::string("nothing") : JsTypeName(info[0])) + ")");
    }
    std::string name = info[0].As<Napi::String>().Utf8Value();
    if (name.empty() || name.size() > kMaxThreadNameBytes) {
      throw RangeErr("IG_BAD_REQUEST", "setThreadName: name must be 1 to " + std::to_string(kMaxThreadNameBytes) +
                                           " bytes (got " + std::to_string(name.size()) + ")");
    }
    return Napi::Boolean::New(env, NameThisThread(name));
  });
}

Napi::Value OrtVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), OrtGetApiBase()->GetVersionString());
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (BindOrtApi() == nullptr) {
    throw Napi::Error::New(env, std::string("the linked ONNX Runtime (") + OrtGetApiBase()->GetVersionString() +
                                    ") is older than the headers the addon was built with (C API version " +
                                    std::to_string(ORT_API_VERSION) + "); rebuild against a matching ORT");
  }
  ProcessEnv();  // create the one Ort::Env before any session
  auto* data = new AddonData();
  Napi::Function session = SessionWrap::Define(env);
  data->sessionCtor = Napi::Persistent(session);
  env.SetInstanceData<AddonData>(data);  // deleted by Node when this environment ends
  exports.Set("Session", session);
  exports.Set("registryStats", Napi::Function::New<RegistryStats>(env, "registryStats"));
  exports.Set("availableProviders", Napi::Function::New<AvailableProviders>(env, "availableProviders"));
  exports.Set("idleSpinStart", Napi::Function::New<IdleSpinStartJs>(env, "idleSpinStart"));
  exports.Set("idleSpinTouch", Napi::Function::New<IdleSpinTouchJs>(env, "idleSpinTouch"));
  exports.Set("idleSpinStop", Napi::Function::New<IdleSpinStopJs>(env, "idleSpinStop"));
  exports.Set("idleSpinStats", Napi::Function::New<IdleSpinStatsJs>(env, "idleSpinStats"));
  exports.Set("setThreadName", Napi::Function::New<SetThreadNameJs>(env, "setThreadName"));
  exports.Set("ortVersion", Napi::Function::New<OrtVersion>(env, "ortVersion"));
  exports.Set("ortApiVersion", Napi::Number::New(env, ORT_API_VERSION));
  return exports;
}

}  // namespace infergate

static Napi::Object InitInfergate(Napi::Env env, Napi::Object exports) { return infergate::Init(env, exports); }

NODE_API_MODULE(infergate_native, InitInfergate)
