#include "thread_name.h"

#include <exception>
#include <thread>

#ifdef __linux__
#include <pthread.h>
#endif

namespace infergate {

bool NameThisThread(const std::string& name) {
#ifdef __linux__
  return name.size() <= kMaxThreadNameBytes && pthread_setname_np(pthread_self(), name.c_str()) == 0;
#else
  (void)name;
  return false;
#endif
}

namespace {

// ORT passes the handle back to JoinOrtThread, which owns and deletes the std::thread.
OrtCustomThreadHandle CreateOrtThread(void* /*options*/, OrtThreadWorkerFn work, void* param) {
  try {
    auto* t = new std::thread([work, param] {
      NameThisThread("ig-ort");
      work(param);
    });
    return reinterpret_cast<OrtCustomThreadHandle>(t);
  } catch (const std::exception&) {
    return nullptr;  // ORT reports the failed thread creation as a session error
  }
}

void JoinOrtThread(OrtCustomThreadHandle handle) {
  auto* t = reinterpret_cast<std::thread*>(const_cast<OrtCustomHandleType*>(handle));
  if (t == nullptr) return;
  if (t->joinable()) t->join();
  delete t;
}

}  // namespace

void SetOrtThreadCreation(Ort::SessionOptions& so) {
  so.SetCustomCreateThreadFn(CreateOrtThread);
  so.SetCustomJoinThreadFn(JoinOrtThread);
}

}  // namespace infergate
