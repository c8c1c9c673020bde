#include "run_job.h"

#include <cstring>

#include "gpu_staging.h"

namespace infergate {

namespace {

bool AnyPrebound(const RunJob& job) {
  for (const auto& t : job.outTargets) {
    if (t.prebound) return true;
  }
  return false;
}

}  // namespace

void ExecuteJob(RunJob& job) {
  Ort::Session& session = *job.entry->session;
  if (job.entry->gpu) {
    job.entry->gpu->Run(session, job);
    return;
  }
  try {
    session.Run(Ort::RunOptions{nullptr}, job.inNames.data(), job.inValues.data(), job.inValues.size(),
                job.outNames.data(), job.outValues.data(), job.outValues.size());
  } catch (const Ort::Exception& e) {
    // Outputs were pre-bound with shapes derived from the inputs' symbolic dims. A model whose
    // dim names lie about that makes ORT refuse the buffer; run again letting ORT allocate.
    if (!AnyPrebound(job) || std::strstr(e.what(), "re-use buffer") == nullptr) throw;
    for (size_t o = 0; o < job.outValues.size(); ++o) {
      job.outValues[o] = Ort::Value{nullptr};
      job.outTargets[o].prebound = false;
    }
    session.Run(Ort::RunOptions{nullptr}, job.inNames.data(), job.inValues.data(), job.inValues.size(),
                job.outNames.data(), job.outValues.data(), job.outValues.size());
  }
}

}  // namespace infergate
