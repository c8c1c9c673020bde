// Small helpers over raw Node-API for typed arrays and messages.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace infergate {

struct TypedArrayView {
  bool isTypedArray = false;
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;  // already adjusted by the view's byteOffset
  size_t byteLength = 0;
};

TypedArrayView GetTypedArray(napi_env env, napi_value value);

// "Float32Array", "Array", "number", "null", ... for "got X" in messages.
std::string JsTypeName(const Napi::Value& value);

// A typed array of `type` over a new ArrayBuffer of `bytes` bytes; `*data` receives its memory.
Napi::Value NewTypedArray(Napi::Env env, napi_typedarray_type type, size_t elemSize, size_t bytes, void** data);

inline bool ArrayBufferLike(const Napi::Value& v) { return v.IsArrayBuffer() || v.IsTypedArray() || v.IsDataView(); }

// Own enumerable string keys (not inherited ones).
std::vector<std::string> OwnKeys(Napi::Env env, const Napi::Object& object);

// "[N,128]" from dims (-1 shown as its symbolic name, or '?').
std::string FormatShape(const std::vector<int64_t>& dims, const std::vector<std::string>* names = nullptr);

}  // namespace infergate
