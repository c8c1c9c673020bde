#include "session_registry.h"

#include <future>
#include <map>
#include <mutex>

namespace infergate {

namespace {

struct Slot {
  std::shared_future<EntryPtr> ready;  // holds the registry's own reference to the session
  int refs = 0;
};

struct Registry {
  std::mutex mu;
  std::map<std::string, Slot> slots;
};

// Leaked on purpose: worker threads may release sessions during process exit, after static
// destructors would have run.
Registry& Reg() {
  static Registry* reg = new Registry();
  return *reg;
}

}  // namespace

EntryPtr AcquireSession(const std::string& key, const std::function<std::unique_ptr<SessionEntry>()>& create) {
  Registry& r = Reg();
  std::promise<EntryPtr> promise;
  std::shared_future<EntryPtr> ready;
  bool creator = false;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.slots.find(key);
    if (it == r.slots.end()) {
      creator = true;
      ready = promise.get_future().share();
      r.slots.emplace(key, Slot{ready, 1});
    } else {
      it->second.refs++;
      ready = it->second.ready;
    }
  }
  if (creator) {
    // Created outside the lock: loading a big model must not block other keys.
    try {
      promise.set_value(EntryPtr(create()));
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(r.mu);
        r.slots.erase(key);
      }
      promise.set_exception(std::current_exception());
    }
  }
  return ready.get();  // rethrows the creator's exception in every waiter
}

void ReleaseSession(const EntryPtr& entry) {
  if (!entry) return;
  Registry& r = Reg();
  std::shared_future<EntryPtr> dropped;  // destroyed after the lock is released
  {
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.slots.find(entry->key);
    if (it == r.slots.end()) return;
    if (it->second.ready.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    if (it->second.ready.get() != entry) return;  // a different generation of this key
    if (--it->second.refs > 0) return;
    dropped = std::move(it->second.ready);
    r.slots.erase(it);
  }
}

RegistrySnapshot SnapshotRegistry() {
  RegistrySnapshot snap;
  snap.sessions = SessionEntry::LiveCount();
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  for (const auto& [key, slot] : r.slots) snap.refs.emplace_back(key, slot.refs);
  return snap;
}

}  // namespace infergate
