// native/core/fanotify_pending.h — the bounded table of permission events handed to JS and not
// yet answered, indexed by id and by deadline.
//
// Ownership: an entry (and the event fd inside it) belongs to the table from register_if()
// until one take*() call removes it; the caller that removed it — and only that caller — writes
// the kernel response and closes the fd. Removal is the single point of arbitration between the
// verdict path (respond), the deadline sweeper and close(), so every event is answered once.
// Owns: the entries. Must not: write responses or close fds itself (the remover does).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "fanotify_types.h"

namespace wdav {
namespace fan {

struct Pending {
  int fd = -1;  // the original event fd: keeps its number reserved so the response matches
  Kind kind = Kind::kOpen;
  FileId file;
  uint32_t epoch = 0;
  Clock::time_point received;
  Clock::time_point deadline;
};

class PendingTable {
 public:
  using Entry = std::pair<uint64_t, Pending>;

  // Inserts all of `staged` only if `handoff()` returns true, with the table locked during the
  // call, so a verdict for a staged id cannot be looked up before its entry exists.
  bool register_if(const std::vector<Entry>& staged, const std::function<bool()>& handoff);

  bool take(uint64_t id, Pending* out);
  void take_expired(Clock::time_point now, std::vector<Entry>* out);
  void take_all(std::vector<Entry>* out);

  bool next_deadline(Clock::time_point* out);
  size_t depth();
  size_t max_depth();
  bool oldest_received(Clock::time_point* out);

 private:
  void erase_locked(std::map<uint64_t, Pending>::iterator it);

  std::mutex mu_;
  std::map<uint64_t, Pending> by_id_;  // ids grow with arrival: begin() is the oldest
  std::set<std::pair<Clock::time_point, uint64_t>> by_deadline_;
  size_t max_depth_ = 0;
};

}  // namespace fan
}  // namespace wdav
