// native/core/fanotify_group.h — one fanotify group (FAN_CLASS_CONTENT) with its reader thread
// and its responder thread.
//
// Ownership hand-off (rule 1 of docs/fanotify-core.md — every permission event answered once):
//   * The reader thread owns an event from read() until it is registered in the PendingTable.
//     Before that point it may answer it itself: own pid, out of scope, empty regular file (when
//     answer_empty), table full, dup failure, or the hand-off to JS refused (Sink::deliver false:
//     TSFN queue full).
//   * Registration and hand-off are one step (PendingTable::register_if): the batch is queued to
//     JS with the table locked and entries are inserted only if queueing succeeded.
//   * Once registered, only the remover of the entry answers it: Respond() (JS verdict), the
//     deadline sweeper in the reader thread (default response), or Close(). A Respond() for an
//     id already removed returns false and writes nothing.
//   * Respond() writes a DENY itself, at once. An ALLOW (and its ignore mark) moves with the
//     entry into the responder queue, and from then on only the responder thread writes it —
//     or, if the group is closed first, nobody needs to: releasing the group allows every
//     pending event, which is the same answer. A full responder queue → Respond() writes the
//     allow itself. So the JS thread never pays for the kernel waking the openers.
//   * The table (then the responder queue) keeps the original event fd open until the response
//     is written (the kernel matches responses by fd number). JS receives a dup and closes it.
//   * close_write events are notifications: their fd passes to JS with the batch (JS closes it),
//     or is closed here when dropped.
// File descriptors (the kernel creates one per event inside read(); an event whose fd it cannot
// create it denies itself, FAN_DENY, before we ever see it — a clean open fails with EPERM):
//   * The reader thread owns a small reserve of fds (dups of the eventfd, kFdReserve) from
//     Create() until Close() closes them after joining it; no other thread touches the reserve.
//   * Before each read() it checks that an fd beyond the reserve is free. When none is, or a
//     read() or dup fails with EMFILE/ENFILE, it closes the reserve and is "short of fds": it
//     reads one event per read() (one fd at a time) and answers every permission event itself
//     with the default response, closing the fd at once — no hand-off to JS, whose dup would
//     need one more fd — and drops close_write events (their next open is scanned).
//   * It takes the whole reserve back (plus one free fd) as soon as it can, checked after every
//     read and every kFdRetryMs while short; then events go to JS again. All of it is counted
//     (answeredNatively.noFds, closeWrite.noFds, reader.readNoFds/fdShortages/fdReserveRestored).
// Threads: reader (poll on fanotify fd + eventfd + /proc/self/mountinfo), responder (writes
// queued allows); every other method runs on the JS thread. fd_lock_ is a reader/writer lock
// on the fanotify fd: read(), response writes and fanotify_mark hold it shared (the kernel
// serialises them itself), so an answer never waits for the reader's read(); Close() holds it
// exclusively (writer-preferring, so it cannot starve) to close the fd first (the kernel then
// allows all pending events) without racing a read, a write or a mark on a reused fd number.
// Owns: the fanotify fd, eventfd, mountinfo fd, the fd reserve, both threads, pending table,
// responder queue, Sink.
// Must not: call into JS (only through Sink), or block the reader thread on JS.
#pragma once
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/scanbatch.h"
#include "fanotify_pending.h"
#include "fanotify_types.h"

namespace wdav {
namespace fan {

// pthread rwlock that prefers writers: Close() (the only exclusive holder) gets in even while
// the reader and responder threads keep taking it shared. Never taken shared recursively.
class FdLock {
 public:
  FdLock();
  ~FdLock();
  FdLock(const FdLock&) = delete;
  FdLock& operator=(const FdLock&) = delete;
  void lock_shared() { pthread_rwlock_rdlock(&rw_); }
  void unlock_shared() { pthread_rwlock_unlock(&rw_); }
  void lock() { pthread_rwlock_wrlock(&rw_); }
  void unlock() { pthread_rwlock_unlock(&rw_); }

 private:
  pthread_rwlock_t rw_;
};

// A permission event on its way to a native verdict (SetNativeVerdicts): registered in the
// pending table like one handed to JS (so the deadline sweeper and Close() cover it); `fd` is
// a dup the job owns, passed on to JS when the plan cannot prove the file clean.
struct FastJob {
  uint64_t id = 0;
  int fd = -1;
  int32_t pid = 0;
  Kind kind = Kind::kOpen;
  std::string path;
  FileId file;
  uint32_t epoch = 0;
  Clock::time_point deadline;
  std::shared_ptr<const scanbatch::Plan> plan;
  int64_t max_size = 0;
  // A close_write notification (after-write verdict): nothing to answer, not in the table; `fd`
  // is the event fd itself. Clean → ignore mark (as MarkClean); else → JS as before.
  bool close_write = false;
  Clock::time_point queued;  // when FastSubmit queued it (after-write jobs are gathered)
};

// An allow on its way to the kernel (responder queue): the pending entry plus the mark request.
struct Reply {
  Pending p;
  bool mark = false;
  uint32_t epoch = 0;
  bool local = false;  // the reader found the file on a local filesystem (native verdicts)
};

class Group {
 public:
  // fanotify_init + eventfd + mountinfo. Returns 0 or errno; *what names the failing call.
  static int Create(const Config& cfg, std::shared_ptr<Group>* out, const char** what);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  // Starts the reader thread, which delivers through `sink`. Returns 0 or errno.
  int Start(std::unique_ptr<Sink> sink);

  // Mount (filesystem=false) or filesystem marks for the RTP events. Return 0 or errno.
  int AddMark(const std::string& path, bool filesystem);
  int RemoveMark(const std::string& path, bool filesystem);

  void SetScope(const std::vector<std::string>& prefixes);
  void SetTimeoutMs(uint32_t ms) { timeout_ms_.store(ms); }
  void SetDefaultAllow(bool allow) { default_allow_.store(allow); }
  void SetPendingCapacity(uint32_t n) { pending_capacity_.store(n); }
  void SetCloseWriteCapacity(uint32_t n) { close_write_capacity_.store(n); }
  void SetAnswerEmpty(bool on) { answer_empty_.store(on); }

  // Native verdicts: with a plan (the definition set's hashes and Vectorscan database, no
  // YARA), permission events on local regular files of at most max_size bytes (0: any) are
  // read and scanned on `threads` threads of the group; a file the plan proves clean (no hash
  // in any table, no body signature, more than the EICAR head) is allowed there with an ignore
  // mark, without JavaScript; any other goes to JS as before. A full queue sends events to JS.
  // close_write notifications of such files are scanned there too (after permission events):
  // clean → ignore mark, so the next open causes no event; else → JS's after-write scan.
  // null turns it off (events in flight finish). Set the new plan before FlushIgnoreMarks().
  void SetNativeVerdicts(std::shared_ptr<const scanbatch::Plan> plan, int64_t max_size, uint32_t threads, uint32_t capacity);

  // JS verdict. False when `id` is not pending (answered by deadline, close, or unknown).
  // With allow && ignore_mark, adds a kernel ignore mark on the inode first when the epoch
  // (explicit, else the event's) is current, the fs is local and the file is unchanged.
  bool Respond(uint64_t id, bool allow, bool ignore_mark, bool has_epoch, uint32_t epoch);

  // After-write verdict: an ignore mark on the inode behind `fd` (any fd of the file, e.g. a
  // close_write event fd), under the same conditions as Respond's mark, checked against `file`
  // (the identity the verdict was computed for). Returns 0 when added, else a reason:
  // 1 stale epoch, 2 remote filesystem, 3 changed, 4 mark failed, 5 group closed.
  int MarkClean(int fd, const FileId& file, uint32_t epoch);

  // Drops every inode mark of the group (ignore marks; mount/filesystem marks stay) and bumps
  // the epoch. Returns 0 or errno; *epoch_out receives the new epoch.
  int FlushIgnoreMarks(uint32_t* epoch_out);

  uint32_t Epoch() const { return epoch_.load(); }
  bool Closed() const { return closed_.load(); }
  bool NoAtime() const { return noatime_; }
  bool MountWatch() const { return mount_fd_ >= 0; }
  const char* IgnoreMode();
  Stats GetStats();

  // JS thread: a batch reached the sink callback (delivered to JS or discarded there).
  void BatchConsumed(const Batch& batch);

  // Closes the fanotify fd first, then wakes and joins the reader, closes pending fds and
  // releases the sink. Idempotent. Not async-signal-safe: never call from a signal handler.
  void Close();

 private:
  Group() = default;
  void Run();
  void RunResponder();
  bool ReadOnce();
  void Sweep();
  bool FdFree();
  void ReleaseReserve();
  void RestoreReserve();
  void NotifyMounts();
  void Answer(int fd, bool allow);
  void AnswerLocked(int fd, bool allow);
  // `local`: the caller knows the file is on a local filesystem (no fstatfs here).
  int MaybeIgnoreLocked(int fd, const FileId& file, uint32_t epoch, bool local = false);
  // remote_filesystem(), remembered per mount (FileId::mnt_id); reader thread only.
  bool RemoteCached(int fd, const FileId& file);
  int IgnoreMarkLocked(int fd, bool add);
  void ClearIgnoreOnCloseWrite(int fd);
  void AnswerEmpty(int fd, const FileId& file, uint32_t epoch);
  bool QueueReply(Reply&& r);
  // `queue`: an allow may go to the responder thread (JS's answers: JS never waits on the
  // syscalls); a native verdict thread answers itself, one hand-off fewer per event.
  // r.local skips the mark's filesystem check, whichever thread answers.
  void Deliver(Reply&& r, bool allow, bool queue = true);
  bool FastSubmit(std::vector<FastJob>* jobs);
  void RunFast(bool opens_only);
  void FastBatch(std::vector<FastJob>& jobs);
  void FastVerdict(FastJob& j, bool clean);
  void FastAfterWrite(FastJob& j, bool clean);
  Clock::time_point FastUntil(const FastJob& j) const;
  void StopFast();
  std::vector<std::string> Scope();

  FdLock fd_lock_;  // shared: read/write/mark on fan_fd_; exclusive: Close() closing it
  int fan_fd_ = -1;
  std::atomic<unsigned> ignore_flags_{0};
  int wake_fd_ = -1;
  int mount_fd_ = -1;
  bool noatime_ = false;
  int32_t self_pid_ = 0;

  std::mutex scope_mu_;
  std::vector<std::string> scope_;

  std::atomic<uint32_t> timeout_ms_{5000};
  std::atomic<bool> default_allow_{true};
  std::atomic<uint32_t> pending_capacity_{1024};
  std::atomic<uint32_t> close_write_capacity_{1024};
  std::atomic<bool> answer_empty_{false};
  std::atomic<uint32_t> epoch_{0};
  std::atomic<uint64_t> cw_in_flight_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> closed_{false};
  bool mounts_notice_pending_ = false;  // reader thread only
  std::unordered_map<uint64_t, bool> remote_by_mount_;  // reader thread only
  uint64_t next_id_ = 1;                // reader thread only
  std::vector<int> fd_reserve_;         // reader thread only (Create/Close: no reader running)
  std::atomic<bool> short_of_fds_{false};  // written by the reader, read by GetStats
  std::atomic<uint32_t> reserve_held_{0};  // fd_reserve_.size() for GetStats

  PendingTable table_;
  Counters counters_;
  std::unique_ptr<Sink> sink_;
  std::thread reader_;
  std::thread responder_;

  // Responder queue: allows taken from the table by Respond(), written by the responder thread.
  // Bounded by the pending capacity (full → Respond writes itself).
  std::mutex reply_mu_;
  std::condition_variable reply_cv_;
  std::vector<Reply> replies_;
  bool reply_stop_ = false;  // under reply_mu_
  size_t reply_max_ = 0;     // under reply_mu_
  std::vector<uint64_t> buf_;  // read buffer, 8-byte aligned for fanotify_event_metadata

  // Native verdicts: the plan, its limits, the job queue (bounded) and its threads.
  std::mutex fast_mu_;
  std::condition_variable fast_cv_;
  std::deque<FastJob> fast_q_;           // under fast_mu_: permission events, taken first
  std::deque<FastJob> fast_cw_q_;        // under fast_mu_: close_write notifications
  std::shared_ptr<const scanbatch::Plan> fast_plan_;  // under fast_mu_
  // Files whose YARA scan did not finish in the content pass (a slow rule, an attacker's file):
  // their next events go straight to JavaScript, whose verdict cache knows them, instead of
  // holding a scanner thread up to the time limit on every open. Bounded: the oldest is dropped.
  bool YaraSlow(const FileId& f);
  void RememberYaraSlow(const FileId& f);
  std::mutex slow_mu_;
  std::deque<FileId> slow_;
  int64_t fast_max_ = 0;                 // under fast_mu_
  size_t fast_capacity_ = 0;             // under fast_mu_
  bool fast_stop_ = false;               // under fast_mu_
  std::vector<std::thread> fast_threads_;  // started and joined on the JS thread
};

}  // namespace fan
}  // namespace wdav
