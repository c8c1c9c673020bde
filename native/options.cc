#include "options.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "errors.h"
#include "thread_name.h"

namespace infergate {

namespace {

Napi::Value Prop(const Napi::Object& o, const char* name) { return o.Get(name); }

int NonNegativeInt(const Napi::Value& v, const std::string& what) {
  if (!v.IsNumber()) throw TypeErr("IG_BAD_REQUEST", what + " must be a non-negative integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || std::floor(d) != d || d > 1e6) {
    throw RangeErr("IG_BAD_REQUEST", what + " must be a non-negative integer");
  }
  return static_cast<int>(d);
}

bool Bool(const Napi::Value& v, const std::string& what) {
  if (!v.IsBoolean()) throw TypeErr("IG_BAD_REQUEST", what + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string Str(const Napi::Value& v, const std::string& what) {
  if (!v.IsString()) throw TypeErr("IG_BAD_REQUEST", what + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

ProviderConfig ParseProvider(const Napi::Value& v, const std::string& what) {
  ProviderConfig p;
  if (v.IsString()) {
    p.name = v.As<Napi::String>().Utf8Value();
  } else if (v.IsObject() && !v.IsArray()) {
    Napi::Object o = v.As<Napi::Object>();
    p.name = Str(Prop(o, "name"), what + ".name");
    Napi::Value dev = Prop(o, "deviceId");
    if (!dev.IsUndefined()) p.deviceId = NonNegativeInt(dev, what + ".deviceId");
    Napi::Value fp16 = Prop(o, "fp16");
    if (!fp16.IsUndefined()) p.fp16 = Bool(fp16, what + ".fp16");
    Napi::Value cache = Prop(o, "engineCacheDir");
    if (!cache.IsUndefined()) p.engineCacheDir = Str(cache, what + ".engineCacheDir");
    Napi::Value extra = Prop(o, "options");
    if (!extra.IsUndefined()) {
      if (!extra.IsObject() || extra.IsArray()) throw TypeErr("IG_BAD_REQUEST", what + ".options must be an object of strings");
      Napi::Object eo = extra.As<Napi::Object>();
      Napi::Array keys = eo.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        std::string k = keys.Get(i).ToString().Utf8Value();
        p.extra.emplace_back(k, Str(eo.Get(k), what + ".options." + k));
      }
      std::sort(p.extra.begin(), p.extra.end());
    }
  } else {
    throw TypeErr("IG_BAD_REQUEST", what + " must be an object like {name: 'cpu'}");
  }
  if (p.name != "cpu" && p.name != "cuda" && p.name != "tensorrt") {
    throw RangeErr("IG_BAD_REQUEST", what + ".name must be 'cpu', 'cuda' or 'tensorrt' (got " + Q(p.name) + ")");
  }
  return p;
}

const char* OrtProviderName(const std::string& name) {
  return name == "cuda" ? "CUDAExecutionProvider" : name == "tensorrt" ? "TensorrtExecutionProvider" : "CPUExecutionProvider";
}

// Appends one GPU provider; throws Ort::Exception / AddonError when it cannot be used.
void AppendGpuProvider(Ort::SessionOptions& so, const ProviderConfig& p) {
  std::vector<std::string> available = Ort::GetAvailableProviders();
  if (std::find(available.begin(), available.end(), OrtProviderName(p.name)) == available.end()) {
    std::string list;
    for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
    throw LifecycleErr("IG_MODEL_LOAD_FAILED", std::string(OrtProviderName(p.name)) +
                                                   " is not in this ONNX Runtime build (available: " + list + ")");
  }
  std::vector<std::pair<std::string, std::string>> kv = {{"device_id", std::to_string(p.deviceId)}};
  if (p.name == "tensorrt") {
    kv.emplace_back("trt_fp16_enable", p.fp16 ? "1" : "0");
    if (!p.engineCacheDir.empty()) {
      kv.emplace_back("trt_engine_cache_enable", "1");
      kv.emplace_back("trt_engine_cache_path", p.engineCacheDir);
    }
  }
  kv.insert(kv.end(), p.extra.begin(), p.extra.end());
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : kv) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  const OrtApi& api = Ort::GetApi();
  if (p.name == "cuda") {
    OrtCUDAProviderOptionsV2* raw = nullptr;
    Ort::ThrowOnError(api.CreateCUDAProviderOptions(&raw));
    std::unique_ptr<OrtCUDAProviderOptionsV2, decltype(api.ReleaseCUDAProviderOptions)> opts(raw, api.ReleaseCUDAProviderOptions);
    Ort::ThrowOnError(api.UpdateCUDAProviderOptions(raw, keys.data(), values.data(), keys.size()));
    so.AppendExecutionProvider_CUDA_V2(*raw);
  } else {
    OrtTensorRTProviderOptionsV2* raw = nullptr;
    Ort::ThrowOnError(api.CreateTensorRTProviderOptions(&raw));
    std::unique_ptr<OrtTensorRTProviderOptionsV2, decltype(api.ReleaseTensorRTProviderOptions)> opts(raw, api.ReleaseTensorRTProviderOptions);
    Ort::ThrowOnError(api.UpdateTensorRTProviderOptions(raw, keys.data(), values.data(), keys.size()));
    so.AppendExecutionProvider_TensorRT_V2(*raw);
  }
}

const char* OptLevelName(GraphOptimizationLevel l) {
  switch (l) {
    case ORT_DISABLE_ALL: return "disabled";
    case ORT_ENABLE_BASIC: return "basic";
    case ORT_ENABLE_EXTENDED: return "extended";
    default: return "all";
  }
}

}  // namespace

SessionConfig ParseSessionConfig(const Napi::Value& options) {
  SessionConfig c;
  if (!options.IsUndefined() && !options.IsNull()) {
    if (!options.IsObject() || options.IsArray()) throw TypeErr("IG_BAD_REQUEST", "options must be an object");
    Napi::Object o = options.As<Napi::Object>();
    Napi::Value eps = Prop(o, "executionProviders");
    if (!eps.IsUndefined()) {
      if (!eps.IsArray()) throw TypeErr("IG_BAD_REQUEST", "options.executionProviders must be an array");
      Napi::Array arr = eps.As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); ++i) {
        c.providers.push_back(ParseProvider(arr.Get(i), "options.executionProviders[" + std::to_string(i) + "]"));
        if (c.providers.back().name == "cpu" && i + 1 != arr.Length()) {
          throw RangeErr("IG_BAD_REQUEST", "options.executionProviders: 'cpu' must be the last entry (ORT always places CPU last)");
        }
      }
    }
    Napi::Value v = Prop(o, "intraOpThreads");
    if (!v.IsUndefined()) c.intraOpThreads = NonNegativeInt(v, "options.intraOpThreads");
    v = Prop(o, "interOpThreads");
    if (!v.IsUndefined()) c.interOpThreads = NonNegativeInt(v, "options.interOpThreads");
    v = Prop(o, "allowSpinning");
    if (!v.IsUndefined()) c.allowSpinning = Bool(v, "options.allowSpinning");
    v = Prop(o, "graphOptimizationLevel");
    if (!v.IsUndefined()) {
      std::string s = Str(v, "options.graphOptimizationLevel");
      if (s == "disabled") c.optLevel = ORT_DISABLE_ALL;
      else if (s == "basic") c.optLevel = ORT_ENABLE_BASIC;
      else if (s == "extended") c.optLevel = ORT_ENABLE_EXTENDED;
      else if (s == "all") c.optLevel = ORT_ENABLE_ALL;
      else throw RangeErr("IG_BAD_REQUEST", "options.graphOptimizationLevel must be 'disabled', 'basic', 'extended' or 'all' (got " + Q(s) + ")");
    }
    v = Prop(o, "providerFallback");
    if (!v.IsUndefined()) {
      std::string s = Str(v, "options.providerFallback");
      if (s != "fail" && s != "cpu") throw RangeErr("IG_BAD_REQUEST", "options.providerFallback must be 'fail' or 'cpu' (got " + Q(s) + ")");
      c.fallbackToCpu = s == "cpu";
    }
    v = Prop(o, "key");
    if (!v.IsUndefined()) {
      c.userKey = Str(v, "options.key");
      if (c.userKey.empty()) throw RangeErr("IG_BAD_REQUEST", "options.key must be a non-empty string");
    }
  }
  if (c.providers.empty() || c.providers.back().name != "cpu") {
    ProviderConfig cpu;
    cpu.name = "cpu";
    c.providers.push_back(cpu);
  }
  return c;
}

std::string SessionConfig::Canonical() const {
  std::string s = "ep=";
  for (size_t i = 0; i < providers.size(); ++i) {
    const auto& p = providers[i];
    s += (i ? "," : "") + p.name;
    if (p.name == "cpu") continue;
    s += ":" + std::to_string(p.deviceId);
    if (p.fp16) s += ":fp16";
    if (!p.engineCacheDir.empty()) s += ":cache=" + p.engineCacheDir;
    for (const auto& [k, v] : p.extra) s += ":" + k + "=" + v;
  }
  s += ";intra=" + std::to_string(intraOpThreads) + ";inter=" + std::to_string(interOpThreads);
  s += std::string(";spin=") + (allowSpinning ? "1" : "0") + ";opt=" + OptLevelName(optLevel);
  s += std::string(";fallback=") + (fallbackToCpu ? "cpu" : "fail");
  return s;
}

BuiltOptions BuildSessionOptions(const SessionConfig& c, bool cpuOnly) {
  BuiltOptions b;
  Ort::SessionOptions& so = b.options;
  SetOrtThreadCreation(so);  // ORT's threads named "ig-ort" (thread_name.h)
  if (c.intraOpThreads > 0) so.SetIntraOpNumThreads(c.intraOpThreads);
  if (c.interOpThreads > 0) so.SetInterOpNumThreads(c.interOpThreads);
  if (c.interOpThreads > 1) so.SetExecutionMode(ORT_PARALLEL);  // inter-op threads only act in parallel mode
  so.AddConfigEntry("session.intra_op.allow_spinning", c.allowSpinning ? "1" : "0");
  so.AddConfigEntry("session.inter_op.allow_spinning", c.allowSpinning ? "1" : "0");
  so.SetGraphOptimizationLevel(c.optLevel);
  for (const auto& p : c.providers) {
    if (p.name == "cpu" || cpuOnly) continue;
    try {
      AppendGpuProvider(so, p);
      b.providers.push_back(p.name);
    } catch (const std::exception& e) {
      std::string why = "execution provider " + Q(p.name) + " is unavailable: " + e.what();
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      if (!c.fallbackToCpu) throw LifecycleErr("IG_MODEL_LOAD_FAILED", why);
      b.fallbackReason += (b.fallbackReason.empty() ? "" : "; ") + why;
    }
  }
  b.providers.push_back("cpu");
  return b;
}

}  // namespace infergate
