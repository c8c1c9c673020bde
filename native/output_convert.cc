// Results -> JS: {dtype, shape, data} per requested output. Prebound outputs already sit in
// their JS typed array; the others are copied once out of ORT's (or the pinned) buffer.
#include <cstring>

#include "errors.h"
#include "js_util.h"
#include "tensor_convert.h"

namespace infergate {

namespace {

Napi::Value StringsToJs(Napi::Env env, const Ort::Value& v, size_t count) {
  Napi::Array arr = Napi::Array::New(env, count);
  std::string buf;
  for (size_t i = 0; i < count; ++i) {
    size_t len = v.GetStringTensorElementLength(i);
    buf.resize(len);
    if (len > 0) v.GetStringTensorElement(len, i, buf.data());
    arr.Set(static_cast<uint32_t>(i), Napi::String::New(env, buf.data(), len));
  }
  return arr;
}

}  // namespace

Napi::Object OutputsToJs(Napi::Env env, RunJob& job, const std::vector<Napi::Value>& outputArrays) {
  Napi::Object result = Napi::Object::New(env);
  for (size_t o = 0; o < job.outNames.size(); ++o) {
    const char* name = job.outNames[o];
    Ort::Value& v = job.outValues[o];
    if (!v || !v.IsTensor()) {
      throw LifecycleErr("IG_INFERENCE_FAILED", std::string("output ") + Q(name) + " is not a tensor");
    }
    auto info = v.GetTensorTypeAndShapeInfo();
    const DTypeInfo* d = DTypeByOrt(info.GetElementType());
    if (d == nullptr) {
      throw LifecycleErr("IG_INFERENCE_FAILED", std::string("output ") + Q(name) + " has unsupported element type " +
                                                    OrtTypeName(info.GetElementType()));
    }
    std::vector<int64_t> shape = info.GetShape();
    size_t count = info.GetElementCount();
    const OutputTarget& t = job.outTargets[o];
    Napi::Value data;
    if (d->isString) {
      data = StringsToJs(env, v, count);
    } else if (t.prebound) {
      data = outputArrays[o];  // ORT wrote into it directly
    } else {
      size_t bytes = count * d->elemSize;
      const void* src = v.GetTensorRawData();
      if (t.callerData != nullptr && t.callerBytes == bytes) {
        if (bytes > 0) std::memcpy(t.callerData, src, bytes);
        data = outputArrays[o];
      } else {
        void* dst = nullptr;
        data = NewTypedArray(env, d->array, d->elemSize, bytes, &dst);
        if (bytes > 0) std::memcpy(dst, src, bytes);
      }
    }
    Napi::Array dims = Napi::Array::New(env, shape.size());
    for (size_t i = 0; i < shape.size(); ++i) dims.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(shape[i])));
    Napi::Object tensor = Napi::Object::New(env);
    tensor.Set("dtype", Napi::String::New(env, d->name));
    tensor.Set("shape", dims);
    tensor.Set("data", data);
    result.Set(name, tensor);
  }
  return result;
}

}  // namespace infergate
