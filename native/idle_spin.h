// Idle spinning: threads that keep the CPUs of a virtual machine from halting while traffic
// flows, at the lowest scheduling class, so they only ever use time nothing else wants.
//
// Why: on a VM a halted vCPU takes tens of microseconds to wake (the host must reschedule it),
// and code that runs right after a halt runs slow (the host ran something else on that core:
// caches and branch predictors are cold; ranker K=1 compute 19 -> 41 us after a 1 ms sleep).
// At one request in flight every request pays that, several times. ORT's own spinning avoids
// it by burning cores at normal priority, which then starves the work under load. These
// threads run as SCHED_IDLE (Linux; nice 19 elsewhere), so any runnable thread preempts them
// at once, and they stop spinning `windowUs` after the last touch (no traffic: no CPU).
#pragma once

#include <cstdint>
#include <string>

namespace infergate {

struct IdleSpinStats {
  int threads = 0;         // spinner threads running
  int sleeping = 0;        // of which blocked (window passed without a touch)
  int64_t windowUs = 0;
  uint64_t touches = 0;    // KeepSpinning() calls so far
  double spinSeconds = 0;  // thread time spent spinning, all threads together
  std::string policy;      // "sched_idle", "nice19" or "normal" (how low the threads could go)
};

// Starts `threads` spinners (0 stops them). Replaces any running set. Throws AddonError
// (RangeError) on out-of-range arguments. Process-wide: every JS thread sees the same set.
void IdleSpinStart(int64_t threads, int64_t windowUs);
// Marks activity: spinners spin until windowUs after the latest call. Lock-free unless a
// spinner sleeps (then one notify). Safe from any thread.
void IdleSpinTouch() noexcept;
// Stops and joins every spinner. Idempotent.
void IdleSpinStop() noexcept;
IdleSpinStats IdleSpinSnapshot();

}  // namespace infergate
