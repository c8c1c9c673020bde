// The process-wide session registry: one ORT session per (model, options) key, shared by every
// JS environment (main thread and worker threads) in the process, with a reference count per
// key. Each JS Session handle holds one reference; when the count reaches zero the registry
// forgets the key and the session is destroyed as soon as no run still uses it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "session_entry.h"

namespace infergate {

// Returns the entry for `key`, creating it with `create` when absent, and adds one reference.
// Concurrent loads of one key create one session: later callers wait for the first. If creation
// fails every waiter gets the same exception and the key is forgotten. Thread-safe.
EntryPtr AcquireSession(const std::string& key, const std::function<std::unique_ptr<SessionEntry>()>& create);

// Drops one reference taken by AcquireSession. Thread-safe; may destroy the session.
void ReleaseSession(const EntryPtr& entry);

struct RegistrySnapshot {
  size_t sessions = 0;                                // live SessionEntry objects
  std::vector<std::pair<std::string, int>> refs;      // key -> references
};
RegistrySnapshot SnapshotRegistry();

}  // namespace infergate
