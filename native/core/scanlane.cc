// native/core/scanlane.cc — see scanlane.h.
#include "core/scanlane.h"

#include <cerrno>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace wdav {
namespace scanbatch {

Lane::Lane(int nice) {
  // The creator's priority, read here (on the JS thread): the lane runs `nice` below it. Lowering
  // one's own priority needs no privilege.
  errno = 0;
  int base = getpriority(PRIO_PROCESS, 0);
  if (base == -1 && errno != 0) base = 0;
  int priority = base + (nice > 0 ? nice : 0);
  if (priority > 19) priority = 19;
  thread_ = std::thread([this, priority] { Loop(priority); });
}

Lane::~Lane() { Close(); }

bool Lane::Post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closing_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void Lane::Close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    closing_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Lane::Loop(int priority) {
#ifdef __linux__
  // Named, so `ps -L`, top and /proc/PID/task/*/comm tell the scanning threads apart.
  pthread_setname_np(pthread_self(), kThreadName);
#endif
#ifdef SYS_gettid
  // Per thread on Linux: PRIO_PROCESS with a thread id sets that thread's nice value alone.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), priority);
#endif
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return closing_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // closing, and nothing left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace scanbatch
}  // namespace wdav
