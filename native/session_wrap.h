// The JS Session class (one per handle; many handles may share one registry session).
//   Session.load(source, options)       -> Session        (sync; creates or shares)
//   Session.loadAsync(source, options)  -> Promise<Session> (session created on a libuv thread)
//   session.key / describe() / run() (libuv thread) / runSync() (calling thread) / unload()
// Each handle owns one registry reference, dropped by unload() or, failing that, by the
// finalizer when the handle is garbage-collected or its JS environment (worker) ends.
#pragma once

#include <napi.h>

#include <string>

#include "session_entry.h"

namespace infergate {

// Per-environment (main thread or worker thread) state: Node-API instance data, never statics.
struct AddonData {
  Napi::FunctionReference sessionCtor;
};

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Wraps `entry` (whose registry reference the new handle takes over) in a JS Session.
  static Napi::Object NewInstance(Napi::Env env, const EntryPtr& entry);

  explicit SessionWrap(const Napi::CallbackInfo& info);
  ~SessionWrap() override;

 private:
  static Napi::Value Load(const Napi::CallbackInfo& info);
  static Napi::Value LoadAsync(const Napi::CallbackInfo& info);
  Napi::Value GetKey(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value RunSync(const Napi::CallbackInfo& info);
  Napi::Value Unload(const Napi::CallbackInfo& info);

  // The entry, or an Error naming `method` when this handle was unloaded.
  const EntryPtr& Live(const char* method) const;

  EntryPtr entry_;
  std::string key_;
};

}  // namespace infergate
