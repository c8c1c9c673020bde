// The GPU path (CUDA / TensorRT providers only; a CPU session never creates one of these).
//
// Inputs are copied from caller memory into pinned (page-locked) host buffers that come from
// ORT's own CudaPinned allocator, so the host->device copy ORT issues is a fast async DMA; they
// are bound with IoBinding. Outputs are bound to CudaPinned memory, so the device->host copy
// lands in pinned memory too; the caller's JS buffer is filled from there afterwards.
// Needs no CUDA headers: everything goes through ORT's C/C++ API.
//
// Pinned buffers are expensive to allocate (cudaHostAlloc), so each session keeps a small pool,
// bucketed by power-of-two size, reused across runs, guarded by a mutex, grown on demand.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

namespace infergate {

struct RunJob;

class GpuStaging {
 public:
  GpuStaging(Ort::Session& session, int deviceId);
  ~GpuStaging();
  GpuStaging(const GpuStaging&) = delete;
  GpuStaging& operator=(const GpuStaging&) = delete;

  // A pinned buffer on loan for one run; returned to the pool when destroyed.
  class Lease {
   public:
    Lease(GpuStaging* owner, void* data, size_t capacity) : owner_(owner), data_(data), capacity_(capacity) {}
    Lease(Lease&& o) noexcept : owner_(o.owner_), data_(o.data_), capacity_(o.capacity_) { o.data_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (data_ != nullptr) owner_->Return(data_, capacity_);
    }
    void* data() const { return data_; }

   private:
    GpuStaging* owner_;
    void* data_;
    size_t capacity_;
  };

  Lease Acquire(size_t bytes);

  // Runs `job` with IoBinding: stages inputs, runs, leaves pinned output values in job.outValues.
  void Run(Ort::Session& session, RunJob& job);

 private:
  void Return(void* data, size_t capacity);

  static constexpr size_t kMinBucketBytes = 4096;
  static constexpr size_t kMaxFreePerBucket = 8;

  Ort::MemoryInfo pinnedInfo_;
  Ort::Allocator allocator_;  // the session's CudaPinned allocator
  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;  // capacity -> idle buffers
};

}  // namespace infergate
