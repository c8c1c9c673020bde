#include "gpu_staging.h"

#include <cstring>

#include "run_job.h"

namespace infergate {

namespace {

size_t RoundUpPow2(size_t n, size_t min) {
  size_t c = min;
  while (c < n) c <<= 1;
  return c;
}

}  // namespace

GpuStaging::GpuStaging(Ort::Session& session, int deviceId)
    : pinnedInfo_("CudaPinned", OrtDeviceAllocator, deviceId, OrtMemTypeCPUOutput),
      allocator_(session, pinnedInfo_) {}

GpuStaging::~GpuStaging() {
  for (auto& [capacity, buffers] : free_) {
    for (void* p : buffers) allocator_.Free(p);
  }
}

GpuStaging::Lease GpuStaging::Acquire(size_t bytes) {
  size_t capacity = RoundUpPow2(bytes, kMinBucketBytes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(capacity);
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      return Lease(this, p, capacity);
    }
  }
  return Lease(this, allocator_.Alloc(capacity), capacity);  // grow the pool (outside the lock)
}

void GpuStaging::Return(void* data, size_t capacity) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& bucket = free_[capacity];
    if (bucket.size() < kMaxFreePerBucket) {
      bucket.push_back(data);
      return;
    }
  }
  allocator_.Free(data);
}

void GpuStaging::Run(Ort::Session& session, RunJob& job) {
  static const Ort::MemoryInfo* cpuInfo =
      new Ort::MemoryInfo(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault));
  Ort::IoBinding binding(session);
  std::vector<Lease> leases;  // pinned input buffers, held until the run has finished
  leases.reserve(job.inputs.size());
  std::vector<Ort::Value> staged;
  staged.reserve(job.inputs.size());
  for (size_t i = 0; i < job.inputs.size(); ++i) {
    const InputView& in = job.inputs[i];
    if (in.dtype->isString) {  // string tensors live on the CPU whatever the provider
      binding.BindInput(job.inNames[i], job.inValues[i]);
      continue;
    }
    leases.push_back(Acquire(in.bytes));
    if (in.bytes > 0) std::memcpy(leases.back().data(), in.data, in.bytes);
    staged.push_back(Ort::Value::CreateTensor(pinnedInfo_, leases.back().data(), in.bytes, in.shape.data(),
                                              in.shape.size(), in.dtype->ort));
    binding.BindInput(job.inNames[i], staged.back());
  }
  for (size_t o = 0; o < job.outNames.size(); ++o) {
    bool isString = job.entry->outputs[job.outIndex[o]].dtype->isString;
    binding.BindOutput(job.outNames[o], isString ? *cpuInfo : pinnedInfo_);
  }
  session.Run(Ort::RunOptions{nullptr}, binding);
  binding.SynchronizeOutputs();
  std::vector<Ort::Value> results = binding.GetOutputValues();
  for (size_t o = 0; o < results.size() && o < job.outValues.size(); ++o) job.outValues[o] = std::move(results[o]);
}

}  // namespace infergate
