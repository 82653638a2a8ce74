// native/core/scanlane.h — a scanning lane: one thread of its own that runs the on-demand batches
// handed to it, one after the other. Why not the libuv threadpool: a batch queued there starts
// only when the JS thread has seen the previous one end and dispatched the next (its promise, the
// job's slot, the queue), and the JS thread is busy with verdicts, archive walks and detections
// right then; a lane already holds the next batch when one ends, so its thread never waits for
// JavaScript. maximumOnDemandScanThreads lanes are the on-demand scanning threads, and they no
// longer take libuv threads from real-time protection's reads. Lane threads run `nice` steps
// below the daemon's other threads, so real-time work and the JS thread get the CPU first.
// Owns: the thread and its queue. Must not: know what a job does, or call into N-API.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace wdav {
namespace scanbatch {

// The lane threads' name (at most 15 characters: the kernel's limit).
constexpr const char* kThreadName = "wdav-scan-lane";

class Lane {
 public:
  // nice: how many steps below the creating thread's priority the lane thread runs (>= 0).
  explicit Lane(int nice);
  ~Lane();  // Close()
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  // Queues a job for the lane thread. False after Close() (the job is not taken).
  bool Post(std::function<void()> job);
  // Runs what is queued, then ends and joins the thread. Idempotent.
  void Close();

 private:
  void Loop(int priority);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace scanbatch
}  // namespace wdav
