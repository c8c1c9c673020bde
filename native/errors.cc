#include "errors.h"

#include <onnxruntime_cxx_api.h>

#include <new>

namespace infergate {

namespace {

Napi::Error Make(Napi::Env env, ErrKind kind, const char* code, std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();  // ORT ends lines
  Napi::Error err = kind == ErrKind::kType    ? Napi::TypeError::New(env, message)
                    : kind == ErrKind::kRange ? Napi::RangeError::New(env, message)
                                              : Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

}  // namespace

Napi::Error ToJsError(Napi::Env env, const std::exception_ptr& e, const char* fallbackCode) {
  try {
    std::rethrow_exception(e);
  } catch (const Napi::Error& err) {
    return err;
  } catch (const AddonError& err) {
    return Make(env, err.kind(), err.code(), err.what());
  } catch (const Ort::Exception& err) {
    Napi::Error js = Make(env, ErrKind::kError, fallbackCode, err.what());
    js.Set("ortCode", Napi::Number::New(env, static_cast<int>(err.GetOrtErrorCode())));
    return js;
  } catch (const std::bad_alloc&) {
    return Make(env, ErrKind::kRange, fallbackCode, "out of memory");
  } catch (const std::exception& err) {
    return Make(env, ErrKind::kError, fallbackCode, err.what());
  } catch (...) {
    return Make(env, ErrKind::kError, "IG_INTERNAL", "unknown native exception");
  }
}

}  // namespace infergate
