// See idle_spin.h for why. The state is one leaked singleton: spinner threads may still be
// running while static destructors run at process exit (nobody called stop), and they must
// never touch a destroyed mutex.
#include "idle_spin.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

#include "errors.h"

namespace infergate {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxThreads = 256;
constexpr int64_t kMaxWindowUs = 10'000'000;

struct State {
  std::mutex lifecycle;  // serializes Start/Stop (held across joins)
  std::mutex mu;         // guards the condition variable's waits
  std::condition_variable cv;
  std::atomic<uint64_t> touches{0};
  std::atomic<int> sleepers{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> windowNs{0};
  std::atomic<uint64_t> spinNs{0};
  std::atomic<int> policy{0};  // 0 normal, 1 nice19, 2 sched_idle
  std::vector<std::thread> threads;  // guarded by lifecycle
};

State& S() {
  static State* state = new State();  // leaked on purpose, see the file comment
  return *state;
}

// This thread's CPU time, ns: what spinSeconds reports. Wall time between ticks would count the
// time a SCHED_IDLE spinner sat preempted, which is exactly when it costs nothing (the metric
// read 2.1 s of "spinning" where /proc showed 0.5 s of CPU). Elsewhere: wall time.
inline uint64_t SpinClockNs() {
#ifdef __linux__
  timespec ts{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) {
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
  }
#endif
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Lowers the calling thread as far as an unprivileged process may: SCHED_IDLE, else nice 19.
int LowerThisThread() {
#ifdef __linux__
  pthread_setname_np(pthread_self(), "ig-idle-spin");
  sched_param param{};
  param.sched_priority = 0;
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) == 0) return 2;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19) == 0) return 1;
#endif
  return 0;
}

void SpinLoop(State* s) {
  int policy = LowerThisThread();
  int prev = s->policy.load();
  while (policy < prev && !s->policy.compare_exchange_weak(prev, policy)) {
  }
  uint64_t seen = s->touches.load();
  Clock::time_point lastTouch = Clock::now();
  uint64_t lastTickNs = SpinClockNs();
  while (!s->stop.load(std::memory_order_relaxed)) {
    for (int i = 0; i < 64; ++i) CpuRelax();
    Clock::time_point now = Clock::now();
    const uint64_t tickNs = SpinClockNs();
    s->spinNs.fetch_add(tickNs - lastTickNs, std::memory_order_relaxed);
    lastTickNs = tickNs;
    uint64_t t = s->touches.load(std::memory_order_relaxed);
    if (t != seen) {
      seen = t;
      lastTouch = now;
      continue;
    }
    if (std::chrono::duration_cast<std::chrono::nanoseconds>(now - lastTouch).count() <
        s->windowNs.load(std::memory_order_relaxed)) {
      continue;
    }
    // Quiet for a whole window: block until touched or stopped. sleepers is raised before the
    // predicate is checked, and Touch bumps touches before reading sleepers (both seq_cst), so
    // a touch either sees this sleeper and notifies, or this check sees the touch.
    std::unique_lock<std::mutex> lock(s->mu);
    s->sleepers.fetch_add(1);
    s->cv.wait(lock, [&] { return s->stop.load() || s->touches.load() != seen; });
    s->sleepers.fetch_sub(1);
    lock.unlock();
    seen = s->touches.load();
    lastTouch = Clock::now();
    lastTickNs = SpinClockNs();
  }
}

void StopLocked(State& s) {
  if (s.threads.empty()) return;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.stop.store(true);
  }
  s.cv.notify_all();
  for (std::thread& t : s.threads) t.join();
  s.threads.clear();
  s.stop.store(false);
}

}  // namespace

void IdleSpinStart(int64_t threads, int64_t windowUs) {
  if (threads < 0 || threads > kMaxThreads) {
    throw RangeErr("IG_BAD_REQUEST", "idle spin threads must be an integer in 0.." + std::to_string(kMaxThreads) +
                                         " (got " + std::to_string(threads) + ")");
  }
  if (windowUs < 1 || windowUs > kMaxWindowUs) {
    throw RangeErr("IG_BAD_REQUEST", "idle spin window must be an integer in 1.." + std::to_string(kMaxWindowUs) +
                                         " us (got " + std::to_string(windowUs) + ")");
  }
  State& s = S();
  std::lock_guard<std::mutex> lock(s.lifecycle);
  StopLocked(s);
  s.windowNs.store(windowUs * 1000);
  s.policy.store(2);
  s.threads.reserve(static_cast<size_t>(threads));
  for (int64_t i = 0; i < threads; ++i) s.threads.emplace_back(SpinLoop, &s);
}

void IdleSpinTouch() noexcept {
  State& s = S();
  s.touches.fetch_add(1);
  if (s.sleepers.load() > 0) {
    std::lock_guard<std::mutex> lock(s.mu);
    s.cv.notify_all();
  }
}

void IdleSpinStop() noexcept {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.lifecycle);
  StopLocked(s);
}

IdleSpinStats IdleSpinSnapshot() {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.lifecycle);
  IdleSpinStats out;
  out.threads = static_cast<int>(s.threads.size());
  out.sleeping = s.sleepers.load();
  out.windowUs = s.windowNs.load() / 1000;
  out.touches = s.touches.load();
  out.spinSeconds = static_cast<double>(s.spinNs.load()) / 1e9;
  static const char* const kPolicies[] = {"normal", "nice19", "sched_idle"};
  out.policy = out.threads > 0 ? kPolicies[s.policy.load()] : "";
  return out;
}

}  // namespace infergate
