#include "tensor_convert.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "errors.h"
#include "js_util.h"

namespace infergate {

const char* OrtTypeName(ONNXTensorElementDataType t) {
  if (const DTypeInfo* d = DTypeByOrt(t)) return d->name;
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16: return "bfloat16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX64: return "complex64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX128: return "complex128";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E4M3FN:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E4M3FNUZ:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E5M2:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E5M2FNUZ: return "float8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT4: return "int4";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT4: return "uint4";
    default: return "unknown";
  }
}

namespace {

// ORT rejects a null data pointer even for zero-element tensors; empty views may have one.
char g_emptyTensorByte = 0;

const Ort::MemoryInfo& CpuInfo() {
  static const Ort::MemoryInfo* info =
      new Ort::MemoryInfo(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault));
  return *info;
}

std::string NameList(const std::vector<IoMeta>& metas) {
  std::string s;
  for (const auto& m : metas) s += (s.empty() ? "" : ", ") + m.name;
  return s;
}

std::vector<int64_t> ParseShape(const Napi::Value& v, const std::string& what) {
  if (!v.IsArray()) throw TypeErr("IG_BAD_TENSOR", what + ": shape must be an array of non-negative integers, got " + JsTypeName(v));
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<int64_t> dims(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value d = arr.Get(i);
    if (!d.IsNumber()) throw TypeErr("IG_BAD_TENSOR", what + ": shape[" + std::to_string(i) + "] must be a number, got " + JsTypeName(d));
    double x = d.As<Napi::Number>().DoubleValue();
    if (!(x >= 0) || std::floor(x) != x || x > 9007199254740991.0) {
      throw RangeErr("IG_BAD_TENSOR", what + ": shape[" + std::to_string(i) + "] is " + d.ToString().Utf8Value() +
                                          "; dims must be non-negative integers");
    }
    dims[i] = static_cast<int64_t>(x);
  }
  return dims;
}

// Element count; RangeError if it overflows what a buffer could hold.
size_t ElementCount(const std::vector<int64_t>& dims, size_t elemSize, const std::string& what) {
  size_t n = 1;
  const size_t limit = std::numeric_limits<size_t>::max() / (elemSize ? elemSize : 1);
  for (int64_t d : dims) {
    if (d != 0 && n > limit / static_cast<size_t>(d)) throw RangeErr("IG_BAD_TENSOR", what + ": shape " + FormatShape(dims) + " is too large");
    n *= static_cast<size_t>(d);
  }
  return n;
}

void CheckAgainstModel(const IoMeta& m, const std::vector<int64_t>& dims, const std::string& what) {
  // A model input of rank 0 may also mean "rank unknown" (ORT reports both alike): ORT itself
  // checks those.
  if (m.shape.empty() && !dims.empty()) return;
  std::string model = FormatShape(m.shape, &m.dimNames);
  if (dims.size() != m.shape.size()) {
    throw RangeErr("IG_SHAPE_MISMATCH", what + ": shape " + FormatShape(dims) + " has rank " + std::to_string(dims.size()) +
                                            " but the model expects rank " + std::to_string(m.shape.size()) + " " + model);
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    if (m.shape[i] >= 0 && m.shape[i] != dims[i]) {
      throw RangeErr("IG_SHAPE_MISMATCH", what + ": shape " + FormatShape(dims) + " has dim " + std::to_string(i) + " = " +
                                              std::to_string(dims[i]) + " but the model expects " + std::to_string(m.shape[i]) +
                                              " " + model);
    }
  }
}

Ort::Value StringTensor(const Napi::Value& data, const std::vector<int64_t>& dims, size_t count, const std::string& what) {
  if (!data.IsArray()) throw TypeErr("IG_BAD_TENSOR", what + ": dtype string needs its data in an array of strings, got " + JsTypeName(data));
  Napi::Array arr = data.As<Napi::Array>();
  if (arr.Length() != count) {
    throw RangeErr("IG_BAD_TENSOR", what + ": data holds " + std::to_string(arr.Length()) + " strings but shape " +
                                        FormatShape(dims) + " needs " + std::to_string(count));
  }
  Ort::AllocatorWithDefaultOptions alloc;
  Ort::Value v = Ort::Value::CreateTensor(alloc, dims.data(), dims.size(), ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING);
  for (uint32_t i = 0; i < count; ++i) {
    Napi::Value s = arr.Get(i);
    if (!s.IsString()) throw TypeErr("IG_BAD_TENSOR", what + ": data[" + std::to_string(i) + "] must be a string, got " + JsTypeName(s));
    std::string utf8 = s.As<Napi::String>().Utf8Value();
    // Length-based (not NUL-terminated), so strings with embedded NULs survive.
    char* dst = v.GetResizedStringTensorElementBuffer(i, utf8.size());
    if (!utf8.empty()) std::memcpy(dst, utf8.data(), utf8.size());
  }
  return v;
}

void PrepareInputs(Napi::Env env, PreparedRun& pr, const Napi::Value& inputs) {
  RunJob& job = *pr.job;
  const SessionEntry& e = *job.entry;
  if (!inputs.IsObject() || inputs.IsArray() || ArrayBufferLike(inputs)) {
    throw TypeErr("IG_BAD_REQUEST", "inputs must be an object mapping input names to tensors, got " + JsTypeName(inputs));
  }
  Napi::Object in = inputs.As<Napi::Object>();
  std::vector<bool> seen(e.inputs.size(), false);
  for (const std::string& name : OwnKeys(env, in)) {
    int idx = e.FindInput(name);
    if (idx < 0) throw RangeErr("IG_UNKNOWN_INPUT", "unknown input " + Q(name) + "; the model's inputs are: " + NameList(e.inputs));
    const IoMeta& m = e.inputs[idx];
    const std::string what = "input " + Q(name);
    seen[idx] = true;
    Napi::Value tv = in.Get(name);
    if (!tv.IsObject() || tv.IsArray()) throw TypeErr("IG_BAD_TENSOR", what + " must be a tensor object {dtype, shape, data}, got " + JsTypeName(tv));
    Napi::Object t = tv.As<Napi::Object>();
    Napi::Value dt = t.Get("dtype");
    if (!dt.IsString()) throw TypeErr("IG_BAD_TENSOR", what + ": dtype must be a string, got " + JsTypeName(dt));
    std::string dtName = dt.As<Napi::String>().Utf8Value();
    const DTypeInfo* d = DTypeByName(dtName);
    if (d == nullptr) throw TypeErr("IG_BAD_TENSOR", what + ": unknown dtype " + Q(dtName));
    if (d != m.dtype) {
      throw TypeErr("IG_DTYPE_MISMATCH", what + ": dtype " + d->name + " does not match the model's " + m.dtype->name);
    }
    InputView view;
    view.dtype = d;
    view.shape = ParseShape(t.Get("shape"), what);
    CheckAgainstModel(m, view.shape, what);
    size_t count = ElementCount(view.shape, d->elemSize, what);
    Napi::Value data = t.Get("data");
    Ort::Value value{nullptr};
    if (d->isString) {
      value = StringTensor(data, view.shape, count, what);
    } else {
      TypedArrayView ta = GetTypedArray(env, data);
      if (!ta.isTypedArray || ta.type != d->array) {
        throw TypeErr("IG_BAD_TENSOR", what + ": dtype " + d->name + " needs its data in a " + d->arrayName + ", got " + JsTypeName(data));
      }
      view.bytes = count * d->elemSize;
      if (ta.byteLength != view.bytes) {
        throw RangeErr("IG_BAD_TENSOR", what + ": data holds " + std::to_string(ta.byteLength) + " bytes but shape " +
                                            FormatShape(view.shape) + " of " + d->name + " needs " + std::to_string(view.bytes));
      }
      view.data = ta.data != nullptr ? ta.data : &g_emptyTensorByte;
      // No copy: the tensor aliases the caller's typed array, which the caller keeps alive.
      value = Ort::Value::CreateTensor(CpuInfo(), const_cast<void*>(view.data), view.bytes, view.shape.data(),
                                       view.shape.size(), d->ort);
      pr.keepAlive.push_back(data);
    }
    job.inNames.push_back(m.name.c_str());
    job.inValues.push_back(std::move(value));
    job.inputs.push_back(std::move(view));
  }
  std::string missing;
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) missing += (missing.empty() ? "" : ", ") + Q(e.inputs[i].name);
  }
  if (!missing.empty()) {
    throw RangeErr("IG_MISSING_INPUT", "missing input(s) " + missing + "; the model's inputs are: " + NameList(e.inputs));
  }
}

// The output's shape when every dim is fixed or named after a dim of a given input.
bool ResolveOutputShape(const RunJob& job, const IoMeta& out, std::vector<int64_t>& dims) {
  const SessionEntry& e = *job.entry;
  dims.assign(out.shape.begin(), out.shape.end());
  if (dims.empty()) return false;  // rank 0 may mean unknown rank
  for (size_t k = 0; k < dims.size(); ++k) {
    if (dims[k] >= 0) continue;
    if (out.dimNames[k].empty()) return false;
    bool found = false;
    for (size_t i = 0; i < job.inputs.size() && !found; ++i) {
      const IoMeta& im = e.inputs[e.FindInput(job.inNames[i])];
      for (size_t j = 0; j < im.dimNames.size() && j < job.inputs[i].shape.size(); ++j) {
        if (im.dimNames[j] == out.dimNames[k]) {
          dims[k] = job.inputs[i].shape[j];
          found = true;
          break;
        }
      }
    }
    if (!found) return false;
  }
  return true;
}

void PrepareOutputs(Napi::Env env, PreparedRun& pr, const Napi::Value& opts) {
  RunJob& job = *pr.job;
  const SessionEntry& e = *job.entry;
  Napi::Value names, buffers;
  if (!opts.IsUndefined() && !opts.IsNull()) {
    if (!opts.IsObject() || opts.IsArray()) throw TypeErr("IG_BAD_REQUEST", "run options must be an object, got " + JsTypeName(opts));
    names = opts.As<Napi::Object>().Get("outputs");
    buffers = opts.As<Napi::Object>().Get("outputBuffers");
  }
  if (names.IsEmpty() || names.IsUndefined()) {
    for (size_t i = 0; i < e.outputs.size(); ++i) job.outIndex.push_back(static_cast<int>(i));
  } else {
    if (!names.IsArray()) throw TypeErr("IG_BAD_REQUEST", "options.outputs must be an array of output names, got " + JsTypeName(names));
    Napi::Array arr = names.As<Napi::Array>();
    if (arr.Length() == 0) throw RangeErr("IG_UNKNOWN_OUTPUT", "options.outputs must name at least one output");
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value n = arr.Get(i);
      if (!n.IsString()) throw TypeErr("IG_BAD_REQUEST", "options.outputs[" + std::to_string(i) + "] must be a string, got " + JsTypeName(n));
      std::string name = n.As<Napi::String>().Utf8Value();
      int idx = e.FindOutput(name);
      if (idx < 0) throw RangeErr("IG_UNKNOWN_OUTPUT", "unknown output " + Q(name) + "; the model's outputs are: " + NameList(e.outputs));
      for (int prev : job.outIndex) {
        if (prev == idx) throw RangeErr("IG_UNKNOWN_OUTPUT", "options.outputs names output " + Q(name) + " twice");
      }
      job.outIndex.push_back(idx);
    }
  }
  const size_t n = job.outIndex.size();
  job.outTargets.resize(n);
  pr.outputArrays.assign(n, env.Undefined());
  for (size_t o = 0; o < n; ++o) {
    job.outNames.push_back(e.outputs[job.outIndex[o]].name.c_str());
    job.outValues.emplace_back(nullptr);
  }
  if (!buffers.IsEmpty() && !buffers.IsUndefined()) {
    if (!buffers.IsObject() || buffers.IsArray()) {
      throw TypeErr("IG_BAD_REQUEST", "options.outputBuffers must be an object mapping output names to typed arrays, got " + JsTypeName(buffers));
    }
    Napi::Object bo = buffers.As<Napi::Object>();
    for (const std::string& name : OwnKeys(env, bo)) {
      size_t o = 0;
      while (o < n && name != job.outNames[o]) ++o;
      if (o == n) throw RangeErr("IG_UNKNOWN_OUTPUT", "options.outputBuffers names " + Q(name) + ", which is not a requested output");
      const DTypeInfo* d = e.outputs[job.outIndex[o]].dtype;
      Napi::Value b = bo.Get(name);
      if (d->isString) throw TypeErr("IG_BAD_REQUEST", "options.outputBuffers[" + Q(name) + "]: a string output cannot be written into a buffer");
      TypedArrayView ta = GetTypedArray(env, b);
      if (!ta.isTypedArray || ta.type != d->array) {
        throw TypeErr("IG_BAD_TENSOR", "options.outputBuffers[" + Q(name) + "]: dtype " + d->name + " needs a " + d->arrayName + ", got " + JsTypeName(b));
      }
      job.outTargets[o].callerData = ta.data != nullptr ? ta.data : &g_emptyTensorByte;
      job.outTargets[o].callerBytes = ta.byteLength;
      pr.outputArrays[o] = b;
      pr.keepAlive.push_back(b);
    }
  }
  if (e.gpu) return;  // GPU runs bind outputs to pinned memory, then copy (gpu_staging.cc)
  // CPU: when the output's shape follows from the inputs, let ORT write straight into JS memory:
  // the caller's buffer if its size fits, else a new array allocated now.
  for (size_t o = 0; o < n; ++o) {
    const IoMeta& m = e.outputs[job.outIndex[o]];
    std::vector<int64_t> dims;
    if (m.dtype->isString || !ResolveOutputShape(job, m, dims)) continue;
    size_t bytes = ElementCount(dims, m.dtype->elemSize, "output " + Q(m.name)) * m.dtype->elemSize;
    OutputTarget& t = job.outTargets[o];
    if (t.callerData == nullptr) {
      void* data = nullptr;
      pr.outputArrays[o] = NewTypedArray(env, m.dtype->array, m.dtype->elemSize, bytes, &data);
      pr.keepAlive.push_back(pr.outputArrays[o]);
      t.callerData = data != nullptr ? data : &g_emptyTensorByte;
      t.callerBytes = bytes;
    }
    if (t.callerBytes != bytes) continue;
    job.outValues[o] = Ort::Value::CreateTensor(CpuInfo(), t.callerData, bytes, dims.data(), dims.size(), m.dtype->ort);
    t.prebound = true;
  }
}

}  // namespace

PreparedRun PrepareRun(Napi::Env env, const EntryPtr& entry, const Napi::Value& inputs, const Napi::Value& opts) {
  PreparedRun pr;
  pr.job = std::make_unique<RunJob>();
  pr.job->entry = entry;
  PrepareInputs(env, pr, inputs);
  PrepareOutputs(env, pr, opts);
  return pr;
}

}  // namespace infergate
