#include "session_wrap.h"

#include <exception>
#include <utility>
#include <vector>

#include "errors.h"
#include "load_request.h"
#include "run_job.h"
#include "session_registry.h"
#include "tensor_convert.h"

namespace infergate {

namespace {

// Tags the External that carries an entry into the constructor, so `new Session(x)` from JS
// (or an External made by another addon) is refused instead of being misread.
constexpr napi_type_tag kEntryTag = {0x9c1f0c7e5b2a4d11ull, 0x8e6d3f0a2b7c4e95ull};

EntryPtr AcquireFor(const LoadRequest& r) {
  return AcquireSession(r.key, [&r] { return CreateEntry(r.key, r.source, r.config); });
}

// Rejects `deferred`. When even that fails (the worker thread's environment is shutting down
// and can no longer run JS), there is nobody left to tell: swallow, never escape into Node.
void SettleWithError(Napi::Env env, Napi::Promise::Deferred& deferred, const std::exception_ptr& e, const char* code) {
  try {
    deferred.Reject(ToJsError(env, e, code).Value());
  } catch (...) {
  }
}

// Session creation on a libuv thread. The model bytes (if any) stay referenced until done.
class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, Napi::Promise::Deferred deferred, LoadRequest req)
      : Napi::AsyncWorker(env, "infergate.load"), deferred_(deferred), req_(std::move(req)) {
    if (!req_.bytes.IsEmpty() && req_.bytes.IsObject()) bytesRef_ = Napi::Persistent(req_.bytes);
    req_.bytes = Napi::Value();  // a bare handle must not outlive this call's scope
  }
  ~LoadWorker() override {
    if (entry_) ReleaseSession(entry_);  // never handed to a JS object
  }

  void Execute() override {
    try {
      entry_ = AcquireFor(req_);
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      if (error_) std::rethrow_exception(error_);
      Napi::Object session = SessionWrap::NewInstance(env, entry_);
      entry_.reset();  // the JS handle owns the reference now
      deferred_.Resolve(session);
    } catch (...) {
      SettleWithError(env, deferred_, std::current_exception(), "IG_MODEL_LOAD_FAILED");
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  LoadRequest req_;
  Napi::Reference<Napi::Value> bytesRef_;
  EntryPtr entry_;
  std::exception_ptr error_;
};

// Inference on a libuv thread. Caller memory (input typed arrays, output buffers) is kept
// referenced until the promise settles, because the job reads and writes it in place.
class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, Napi::Promise::Deferred deferred, PreparedRun pr)
      : Napi::AsyncWorker(env, "infergate.run"), deferred_(deferred) {
    for (const auto& v : pr.keepAlive) keep_.push_back(Napi::Persistent(v));
    for (const auto& v : pr.outputArrays) {
      outputs_.push_back(v.IsObject() ? Napi::Persistent(v) : Napi::Reference<Napi::Value>());
    }
    job_ = std::move(pr.job);
  }

  void Execute() override {
    try {
      ExecuteJob(*job_);
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      if (error_) std::rethrow_exception(error_);
      std::vector<Napi::Value> arrays;
      arrays.reserve(outputs_.size());
      for (auto& r : outputs_) arrays.push_back(r.IsEmpty() ? env.Undefined() : r.Value());
      deferred_.Resolve(OutputsToJs(env, *job_, arrays));
    } catch (...) {
      SettleWithError(env, deferred_, std::current_exception(), "IG_INFERENCE_FAILED");
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::Reference<Napi::Value>> keep_;
  std::vector<Napi::Reference<Napi::Value>> outputs_;
  std::unique_ptr<RunJob> job_;  // declared last: destroyed before the references
  std::exception_ptr error_;
};

Napi::Object TensorInfoToJs(Napi::Env env, const IoMeta& m) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", m.name);
  o.Set("dtype", m.dtype->name);
  Napi::Array shape = Napi::Array::New(env, m.shape.size());
  Napi::Array names = Napi::Array::New(env, m.shape.size());
  for (size_t i = 0; i < m.shape.size(); ++i) {
    shape.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(m.shape[i])));
    names.Set(static_cast<uint32_t>(i), m.dimNames[i]);
  }
  o.Set("shape", shape);
  o.Set("dimNames", names);
  return o;
}

}  // namespace

Napi::Function SessionWrap::Define(Napi::Env env) {
  return DefineClass(env, "Session",
                     {
                         StaticMethod<&SessionWrap::Load>("load"),
                         StaticMethod<&SessionWrap::LoadAsync>("loadAsync"),
                         InstanceAccessor<&SessionWrap::GetKey>("key"),
                         InstanceMethod<&SessionWrap::Describe>("describe"),
                         InstanceMethod<&SessionWrap::Run>("run"),
                         InstanceMethod<&SessionWrap::RunSync>("runSync"),
                         InstanceMethod<&SessionWrap::Unload>("unload"),
                     });
}

Napi::Object SessionWrap::NewInstance(Napi::Env env, const EntryPtr& entry) {
  EntryPtr copy = entry;
  Napi::External<EntryPtr> ext = Napi::External<EntryPtr>::New(env, &copy);
  ext.TypeTag(&kEntryTag);
  return env.GetInstanceData<AddonData>()->sessionCtor.New({ext});
}

SessionWrap::SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal() || !info[0].As<Napi::External<EntryPtr>>().CheckTypeTag(&kEntryTag)) {
    Napi::TypeError err = Napi::TypeError::New(info.Env(), "Session cannot be constructed with new; use Session.load() or Session.loadAsync()");
    err.Set("code", "IG_BAD_REQUEST");
    throw err;
  }
  entry_ = *info[0].As<Napi::External<EntryPtr>>().Data();
  key_ = entry_->key;
}

SessionWrap::~SessionWrap() {
  if (entry_) ReleaseSession(entry_);  // handle collected without unload(): drop its reference
}

const EntryPtr& SessionWrap::Live(const char* method) const {
  if (!entry_) throw LifecycleErr("IG_MODEL_NOT_READY", std::string("Session.") + method + "() used after unload (model " + key_ + ")");
  return entry_;
}

Napi::Value SessionWrap::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "IG_MODEL_LOAD_FAILED", [&]() -> Napi::Value {
    LoadRequest r = ParseLoadRequest(env, info[0], info[1]);
    EntryPtr entry = AcquireFor(r);
    try {
      return NewInstance(env, entry);
    } catch (...) {
      ReleaseSession(entry);
      throw;
    }
  });
}

Napi::Value SessionWrap::LoadAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  try {
    (new LoadWorker(env, deferred, ParseLoadRequest(env, info[0], info[1])))->Queue();
  } catch (...) {  // bad arguments reject; async APIs never throw synchronously
    deferred.Reject(ToJsError(env, std::current_exception(), "IG_MODEL_LOAD_FAILED").Value());
  }
  return deferred.Promise();
}

Napi::Value SessionWrap::GetKey(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), key_); }

Napi::Value SessionWrap::Describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "IG_INTERNAL", [&]() -> Napi::Value {
    const SessionEntry& e = *Live("describe");
    Napi::Object d = Napi::Object::New(env);
    Napi::Array inputs = Napi::Array::New(env, e.inputs.size());
    for (size_t i = 0; i < e.inputs.size(); ++i) inputs.Set(static_cast<uint32_t>(i), TensorInfoToJs(env, e.inputs[i]));
    Napi::Array outputs = Napi::Array::New(env, e.outputs.size());
    for (size_t i = 0; i < e.outputs.size(); ++i) outputs.Set(static_cast<uint32_t>(i), TensorInfoToJs(env, e.outputs[i]));
    Napi::Array providers = Napi::Array::New(env, e.providers.size());
    for (size_t i = 0; i < e.providers.size(); ++i) providers.Set(static_cast<uint32_t>(i), e.providers[i]);
    d.Set("inputs", inputs);
    d.Set("outputs", outputs);
    d.Set("providers", providers);
    if (!e.fallbackReason.empty()) d.Set("fallbackReason", e.fallbackReason);
    return d;
  });
}

Napi::Value SessionWrap::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  try {
    PreparedRun pr = PrepareRun(env, Live("run"), info[0], info[1]);
    (new RunWorker(env, deferred, std::move(pr)))->Queue();
  } catch (...) {  // validation errors reject; async APIs never throw synchronously
    deferred.Reject(ToJsError(env, std::current_exception(), "IG_INFERENCE_FAILED").Value());
  }
  return deferred.Promise();
}

Napi::Value SessionWrap::RunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "IG_INFERENCE_FAILED", [&]() -> Napi::Value {
    PreparedRun pr = PrepareRun(env, Live("runSync"), info[0], info[1]);
    ExecuteJob(*pr.job);
    return OutputsToJs(env, *pr.job, pr.outputArrays);
  });
}

Napi::Value SessionWrap::Unload(const Napi::CallbackInfo& info) {
  // Idempotent. A run already in flight keeps the session alive until it finishes.
  if (entry_) {
    EntryPtr entry = std::move(entry_);
    entry_.reset();
    ReleaseSession(entry);
  }
  return info.Env().Undefined();
}

}  // namespace infergate
