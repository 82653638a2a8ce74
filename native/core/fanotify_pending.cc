// native/core/fanotify_pending.cc — see fanotify_pending.h (ownership rules live there).
#include "fanotify_pending.h"

namespace wdav {
namespace fan {

bool PendingTable::register_if(const std::vector<Entry>& staged, const std::function<bool()>& handoff) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!handoff()) return false;
  for (const Entry& e : staged) {
    by_id_.emplace(e.first, e.second);
    by_deadline_.emplace(e.second.deadline, e.first);
  }
  if (by_id_.size() > max_depth_) max_depth_ = by_id_.size();
  return true;
}

void PendingTable::erase_locked(std::map<uint64_t, Pending>::iterator it) {
  by_deadline_.erase({it->second.deadline, it->first});
  by_id_.erase(it);
}

bool PendingTable::take(uint64_t id, Pending* out) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  *out = it->second;
  erase_locked(it);
  return true;
}

void PendingTable::take_expired(Clock::time_point now, std::vector<Entry>* out) {
  std::lock_guard<std::mutex> lk(mu_);
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    uint64_t id = by_deadline_.begin()->second;
    auto it = by_id_.find(id);
    out->emplace_back(id, it->second);
    erase_locked(it);
  }
}

void PendingTable::take_all(std::vector<Entry>* out) {
  std::lock_guard<std::mutex> lk(mu_);
  for (auto& kv : by_id_) out->emplace_back(kv.first, kv.second);
  by_id_.clear();
  by_deadline_.clear();
}

bool PendingTable::next_deadline(Clock::time_point* out) {
  std::lock_guard<std::mutex> lk(mu_);
  if (by_deadline_.empty()) return false;
  *out = by_deadline_.begin()->first;
  return true;
}

size_t PendingTable::depth() {
  std::lock_guard<std::mutex> lk(mu_);
  return by_id_.size();
}

size_t PendingTable::max_depth() {
  std::lock_guard<std::mutex> lk(mu_);
  return max_depth_;
}

bool PendingTable::oldest_received(Clock::time_point* out) {
  std::lock_guard<std::mutex> lk(mu_);
  if (by_id_.empty()) return false;
  *out = by_id_.begin()->second.received;
  return true;
}

}  // namespace fan
}  // namespace wdav
