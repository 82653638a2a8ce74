// native/core/fanotify_types.h — plain data shared by the fanotify core (reader thread, pending
// table, group) and the N-API edge: event records, batches, configuration, counters, and the
// Sink interface through which the reader thread hands batches to JS.
// Owns: nothing at run time (types only). Must not: include napi.h or do any system call.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace wdav {
namespace fan {

using Clock = std::chrono::steady_clock;

enum class Kind : uint8_t { kOpen = 0, kExec = 1, kCloseWrite = 2 };

// fstat() of the event fd when the event was read. A verdict cache keys on these, and the
// ignore-mark path compares them again to refuse a mark on a file that changed meanwhile.
struct FileId {
  bool ok = false;
  bool regular = false;  // S_ISREG
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  // The mount's unique id (statx STATX_MNT_ID_UNIQUE, Linux 6.8+; never reused), 0 when the
  // kernel does not give one. Not part of the identity: only keys what is known of the mount.
  uint64_t mnt_id = 0;
};

// One event as handed to JS. For permission events `fd` is a dup of the event fd that JS owns
// (the original stays in the pending table until answered); for close_write it is the event fd.
struct EventRecord {
  uint64_t id = 0;
  int fd = -1;
  int32_t pid = 0;
  Kind kind = Kind::kOpen;
  std::string path;  // raw bytes from readlink(/proc/self/fd/N); may end in " (deleted)"
  FileId file;
  uint32_t epoch = 0;  // ignore-mark epoch at the time the event was read
};

struct Batch {
  std::vector<EventRecord> events;
  bool mounts_changed = false;
  uint32_t close_writes = 0;  // how many of `events` are close_write (in-flight accounting)
};

// Implemented at the N-API edge (a ThreadSafeFunction). deliver() runs on the reader thread and
// must not block; on true the sink owns `batch`, on false the caller keeps it. release() runs
// once on the JS thread from Group::Close(), after the reader thread has been joined.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual bool deliver(Batch* batch) = 0;
  virtual void release() = 0;
};

struct Config {
  uint32_t timeout_ms = 5000;
  bool default_allow = true;
  uint32_t pending_capacity = 1024;
  uint32_t close_write_capacity = 1024;
  bool try_noatime = true;
  bool answer_empty = false;  // allow empty regular files in the reader (+ ignore mark), no JS
};

// X(field, group, key): one monotonically increasing counter; group/key name it in stats().
#define WDAV_FAN_COUNTERS(X)                                       \
  X(events_open, "events", "open")                                 \
  X(events_exec, "events", "exec")                                 \
  X(events_close_write, "events", "closeWrite")                    \
  X(overflow, "events", "overflow")                                \
  X(js_allow, "answeredByJs", "allow")                             \
  X(js_deny, "answeredByJs", "deny")                               \
  X(js_late, "answeredByJs", "late")                               \
  X(native_self, "answeredNatively", "self")                       \
  X(native_out_of_scope, "answeredNatively", "outOfScope")         \
  X(native_timeout, "answeredNatively", "timeout")                 \
  X(native_table_full, "answeredNatively", "tableFull")            \
  X(native_tsfn_full, "answeredNatively", "tsfnFull")              \
  X(native_error, "answeredNatively", "error")                     \
  X(native_closed, "answeredNatively", "closed")                   \
  X(native_empty, "answeredNatively", "empty")                     \
  X(native_no_fds, "answeredNatively", "noFds")                    \
  X(ignore_added, "ignoreMarks", "added")                          \
  X(ignore_failed, "ignoreMarks", "failed")                        \
  X(ignore_skipped_remote, "ignoreMarks", "skippedRemoteFs")       \
  X(ignore_skipped_epoch, "ignoreMarks", "skippedStaleEpoch")      \
  X(ignore_skipped_changed, "ignoreMarks", "skippedChanged")       \
  X(ignore_cleared_close_write, "ignoreMarks", "clearedOnCloseWrite") \
  X(flushes, "ignoreMarks", "flushes")                             \
  X(ignore_after_write, "ignoreMarks", "afterWrite")               \
  X(cw_delivered, "closeWrite", "delivered")                       \
  X(cw_dropped, "closeWrite", "dropped")                           \
  X(cw_self, "closeWrite", "self")                                 \
  X(cw_out_of_scope, "closeWrite", "outOfScope")                   \
  X(cw_no_fds, "closeWrite", "noFds")                              \
  X(mount_changes, "reader", "mountChanges")                       \
  X(batches, "reader", "batches")                                  \
  X(read_errors, "reader", "readErrors")                           \
  X(response_errors, "reader", "responseErrors")                   \
  X(read_no_fds, "reader", "readNoFds")                            \
  X(fd_shortages, "reader", "fdShortages")                         \
  X(fd_restored, "reader", "fdReserveRestored")                    \
  X(replies_async, "responder", "async")                           \
  X(replies_sync, "responder", "sync")                             \
  X(fast_clean, "nativeVerdicts", "clean")                         \
  X(fast_to_js, "nativeVerdicts", "toJs")                          \
  X(fast_late, "nativeVerdicts", "late")                           \
  X(fast_full, "nativeVerdicts", "queueFull")                      \
  X(fast_cw_clean, "nativeVerdicts", "afterWriteClean")            \
  X(fast_cw_to_js, "nativeVerdicts", "afterWriteToJs")

struct Counters {
#define WDAV_FAN_ATOMIC(name, group, key) std::atomic<uint64_t> name{0};
  WDAV_FAN_COUNTERS(WDAV_FAN_ATOMIC)
#undef WDAV_FAN_ATOMIC
};

struct Stats {
#define WDAV_FAN_PLAIN(name, group, key) uint64_t name = 0;
  WDAV_FAN_COUNTERS(WDAV_FAN_PLAIN)
#undef WDAV_FAN_PLAIN
  uint64_t pending_depth = 0;
  uint64_t pending_max = 0;
  uint64_t pending_capacity = 0;
  uint64_t pending_oldest_age_ms = 0;
  uint64_t cw_in_flight = 0;
  uint64_t epoch = 0;
  uint64_t reply_depth = 0;
  uint64_t reply_max = 0;
  uint64_t short_of_fds = 0;  // 1 while the reader answers on its own for want of fds
  uint64_t fd_reserve = 0;    // fds the reader holds in reserve now
  uint64_t fast_depth = 0;    // native verdict jobs queued now
  uint64_t fast_threads = 0;  // native verdict threads (0: off)
};

}  // namespace fan
}  // namespace wdav
