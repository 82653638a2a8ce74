// native/core/yara_pool.cc — see yara_pool.h.
#include "core/yara_pool.h"

#include <algorithm>
#include <pthread.h>

namespace wdav {
namespace yara {

namespace {

uint64_t MsSince(std::chrono::steady_clock::time_point t, std::chrono::steady_clock::time_point now) {
  return now <= t ? 0 : static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count());
}

// Removes and returns the jobs of `q` that belong to `owner` (nullptr: all).
void TakeOwned(std::deque<std::unique_ptr<Job>>* q, const void* owner, std::vector<std::unique_ptr<Job>>* out) {
  for (auto it = q->begin(); it != q->end();) {
    if (owner == nullptr || (*it)->owner == owner) {
      out->push_back(std::move(*it));
      it = q->erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace

Pool::Pool(size_t threads, size_t capacity)
    : max_threads_(std::max<size_t>(2, threads)), on_demand_max_(std::max<size_t>(1, std::max<size_t>(2, threads) / 2)), capacity_(capacity) {}

Pool::~Pool() { Shutdown(); }

bool Pool::Submit(std::unique_ptr<Job> job, bool* full) {
  *full = false;
  std::lock_guard<std::mutex> l(mu_);
  if (shutdown_) return false;
  if (real_time_.size() + on_demand_.size() >= capacity_) {
    full_++;
    *full = true;
    return false;
  }
  job->queued_at = std::chrono::steady_clock::now();
  (job->real_time ? real_time_ : on_demand_).push_back(std::move(job));
  max_depth_ = std::max(max_depth_, real_time_.size() + on_demand_.size());
  // A thread per job in flight up to the maximum: a stuck scan never waits for a thread to
  // free up before the next job can start elsewhere.
  if (idle_threads_ == 0 && threads_.size() < max_threads_) threads_.emplace_back([this] { Loop(); });
  cv_.notify_all();
  return true;
}

std::unique_ptr<Job> Pool::Next(std::unique_lock<std::mutex>& l) {
  idle_threads_++;
  cv_.wait(l, [this] { return shutdown_ || !real_time_.empty() || (!on_demand_.empty() && running_on_demand_ < on_demand_max_); });
  idle_threads_--;
  if (shutdown_) return nullptr;
  std::deque<std::unique_ptr<Job>>& q = !real_time_.empty() ? real_time_ : on_demand_;
  std::unique_ptr<Job> job = std::move(q.front());
  q.pop_front();
  return job;
}

void Pool::Loop() {
#ifdef __linux__
  pthread_setname_np(pthread_self(), kPoolThreadName);
#endif
  // The buffer of fd jobs, reused; given back when it grew large.
  std::vector<uint8_t> buffer;
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    std::unique_ptr<Job> job = Next(l);
    if (!job) return;
    running_.push_back(job.get());
    if (!job->real_time) running_on_demand_++;
    l.unlock();

    Job* j = job.get();
    j->started_at = std::chrono::steady_clock::now();
    uint64_t limit = j->limit_ns;
    bool expired = false;
    if (j->has_deadline) {
      if (j->deadline <= j->started_at) {
        expired = true;
      } else {
        uint64_t left = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(j->deadline - j->started_at).count());
        limit = std::min(limit, left);
      }
    }
    if (expired) {
      j->outcome.status = Status::kTimeout;
    } else if (j->fd >= 0) {
      j->outcome = ScanFd(*j->rules, j->fd, j->max_bytes, limit, &j->control, &buffer);
      if (buffer.capacity() > (1u << 20)) std::vector<uint8_t>().swap(buffer);
    } else {
      j->outcome = Scan(*j->rules, j->data, j->len, limit, &j->control);
    }

    l.lock();
    running_.erase(std::find(running_.begin(), running_.end(), j));
    if (!j->real_time) running_on_demand_--;
    completed_++;
    if (j->outcome.status == Status::kTimeout) timeouts_++;
    if (j->outcome.status == Status::kCancelled) cancelled_++;
    if (expired) expired_++;
    // An on-demand slot may have freed up for a waiting job.
    cv_.notify_all();
    l.unlock();
    Finish(std::move(job));
    l.lock();
  }
}

void Pool::Finish(std::unique_ptr<Job> job) {
  std::function<void(Job*)> done = std::move(job->done);
  done(job.release());  // `done` owns the job from here
}

bool Pool::Cancel(const void* owner, uint64_t id) {
  std::unique_ptr<Job> queued;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (Job* j : running_) {
      if (j->id != id || j->owner != owner) continue;
      j->control.Stop();  // the thread still owns it: removed from running_ under mu_ first
      return true;
    }
    for (auto* q : {&real_time_, &on_demand_}) {
      auto it = std::find_if(q->begin(), q->end(), [owner, id](const std::unique_ptr<Job>& j) { return j->id == id && j->owner == owner; });
      if (it == q->end()) continue;
      queued = std::move(*it);
      q->erase(it);
      cancelled_++;
      break;
    }
  }
  if (!queued) return false;
  queued->control.Stop();
  queued->outcome.status = Status::kCancelled;
  Finish(std::move(queued));
  return true;
}

size_t Pool::StopAll(const void* owner) {
  std::vector<std::unique_ptr<Job>> queued;
  size_t n = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (Job* j : running_) {
      if (owner != nullptr && j->owner != owner) continue;
      j->control.Stop();
      n++;
    }
    TakeOwned(&real_time_, owner, &queued);
    TakeOwned(&on_demand_, owner, &queued);
    cancelled_ += queued.size();
  }
  for (auto& j : queued) {
    j->control.Stop();
    j->outcome.status = Status::kCancelled;
    Finish(std::move(j));
  }
  return n + queued.size();
}

void Pool::Shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> l(mu_);
    shutdown_ = true;
    threads.swap(threads_);
  }
  StopAll(nullptr);
  cv_.notify_all();
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

PoolStats Pool::Stats() {
  std::lock_guard<std::mutex> l(mu_);
  auto now = std::chrono::steady_clock::now();
  PoolStats s;
  s.threads = threads_.size();
  s.max_threads = max_threads_;
  s.on_demand_max = on_demand_max_;
  s.capacity = capacity_;
  s.depth = real_time_.size() + on_demand_.size();
  s.max_depth = max_depth_;
  s.full = full_;
  uint64_t oldest = 0;
  for (auto* q : {&real_time_, &on_demand_})
    if (!q->empty()) oldest = std::max(oldest, MsSince(q->front()->queued_at, now));
  s.oldest_queued_ms = oldest;
  s.running = running_.size();
  s.completed = completed_;
  s.timeouts = timeouts_;
  s.cancelled = cancelled_;
  s.expired = expired_;
  for (Job* j : running_) s.running_jobs.push_back({j->id, j->real_time, MsSince(j->started_at, now)});
  return s;
}

}  // namespace yara
}  // namespace wdav
