#include "session_entry.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "errors.h"
#include "gpu_staging.h"

namespace infergate {

namespace {

std::atomic<size_t> g_live{0};

OrtLoggingLevel LogLevelFromEnv() {
  const char* v = std::getenv("INFERGATE_ORT_LOG_LEVEL");
  if (v == nullptr) return ORT_LOGGING_LEVEL_FATAL;  // failures reach JS as exceptions anyway
  if (!std::strcmp(v, "verbose")) return ORT_LOGGING_LEVEL_VERBOSE;
  if (!std::strcmp(v, "info")) return ORT_LOGGING_LEVEL_INFO;
  if (!std::strcmp(v, "warning")) return ORT_LOGGING_LEVEL_WARNING;
  if (!std::strcmp(v, "error")) return ORT_LOGGING_LEVEL_ERROR;
  return ORT_LOGGING_LEVEL_FATAL;
}

const char* OnnxTypeName(ONNXType t) {
  switch (t) {
    case ONNX_TYPE_SEQUENCE: return "a sequence";
    case ONNX_TYPE_MAP: return "a map";
    case ONNX_TYPE_OPTIONAL: return "an optional";
    case ONNX_TYPE_SPARSETENSOR: return "a sparse tensor";
    default: return "not a tensor";
  }
}

IoMeta ReadMeta(Ort::Session& s, size_t i, bool isInput) {
  Ort::AllocatorWithDefaultOptions alloc;
  IoMeta m;
  m.name = (isInput ? s.GetInputNameAllocated(i, alloc) : s.GetOutputNameAllocated(i, alloc)).get();
  const char* role = isInput ? "input" : "output";
  Ort::TypeInfo info = isInput ? s.GetInputTypeInfo(i) : s.GetOutputTypeInfo(i);
  if (info.GetONNXType() != ONNX_TYPE_TENSOR) {
    throw LifecycleErr("IG_MODEL_LOAD_FAILED", std::string("model ") + role + " " + Q(m.name) + " is " +
                                                   OnnxTypeName(info.GetONNXType()) + "; only dense tensors are supported");
  }
  auto tensor = info.GetTensorTypeAndShapeInfo();
  m.dtype = DTypeByOrt(tensor.GetElementType());
  if (m.dtype == nullptr) {
    throw LifecycleErr("IG_MODEL_LOAD_FAILED", std::string("model ") + role + " " + Q(m.name) + " has element type " +
                                                   OrtTypeName(tensor.GetElementType()) + ", which is not supported");
  }
  m.shape = tensor.GetShape();
  std::vector<const char*> names(m.shape.size(), nullptr);
  if (!names.empty()) tensor.GetSymbolicDimensions(names.data(), names.size());
  for (size_t d = 0; d < m.shape.size(); ++d) {
    if (m.shape[d] < 0) m.shape[d] = -1;
    m.dimNames.emplace_back(m.shape[d] < 0 && names[d] != nullptr ? names[d] : "");
  }
  return m;
}

std::unique_ptr<Ort::Session> Open(const ModelSource& src, const Ort::SessionOptions& so) {
  if (src.bytes != nullptr) return std::make_unique<Ort::Session>(ProcessEnv(), src.bytes, src.size, so);
  return std::make_unique<Ort::Session>(ProcessEnv(), src.path.c_str(), so);
}

AddonError LoadError(const ModelSource& src, const std::string& why) {
  return LifecycleErr("IG_MODEL_LOAD_FAILED", "cannot load model " + src.label + ": " + why);
}

}  // namespace

SessionEntry::SessionEntry() { g_live.fetch_add(1); }
SessionEntry::~SessionEntry() {
  gpu.reset();
  session.reset();
  g_live.fetch_sub(1);
}
size_t SessionEntry::LiveCount() { return g_live.load(); }

int SessionEntry::FindInput(std::string_view name) const {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int SessionEntry::FindOutput(std::string_view name) const {
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Ort::Env& ProcessEnv() {
  static Ort::Env* env = new Ort::Env(LogLevelFromEnv(), "infergate");  // intentionally leaked
  return *env;
}

std::unique_ptr<SessionEntry> CreateEntry(const std::string& key, const ModelSource& src, const SessionConfig& cfg) {
  auto entry = std::make_unique<SessionEntry>();
  entry->key = key;
  BuiltOptions built = BuildSessionOptions(cfg, false);
  try {
    entry->session = Open(src, built.options);
  } catch (const Ort::Exception& e) {
    bool gpuTried = built.providers.size() > 1;
    if (!cfg.fallbackToCpu || !gpuTried) throw LoadError(src, e.what());
    // A GPU provider was appended but the session could not start on it (no device, missing
    // CUDA libraries): under providerFallback 'cpu' retry on CPU and say why.
    std::string reason = "GPU session failed to start (" + std::string(e.what()) + ")";
    built = BuildSessionOptions(cfg, true);
    built.fallbackReason = reason;
    try {
      entry->session = Open(src, built.options);
    } catch (const Ort::Exception& e2) {
      throw LoadError(src, e2.what());
    }
  }
  Ort::Session& s = *entry->session;
  for (size_t i = 0; i < s.GetInputCount(); ++i) entry->inputs.push_back(ReadMeta(s, i, true));
  for (size_t i = 0; i < s.GetOutputCount(); ++i) entry->outputs.push_back(ReadMeta(s, i, false));
  entry->providers = built.providers;
  entry->fallbackReason = built.fallbackReason;
  if (entry->providers.front() != "cpu") {
    int deviceId = 0;
    for (const auto& p : cfg.providers) {
      if (p.name == entry->providers.front()) deviceId = p.deviceId;
    }
    try {
      entry->gpu = std::make_unique<GpuStaging>(s, deviceId);
    } catch (const Ort::Exception& e) {
      // The provider runs but exposes no CudaPinned allocator: ORT still accepts CPU inputs
      // and outputs (it copies them itself, synchronously), so serve without pinned staging.
      entry->fallbackReason = std::string("pinned host staging unavailable, ORT copies inputs itself: ") + e.what();
    }
  }
  return entry;
}

}  // namespace infergate
