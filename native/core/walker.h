// native/core/walker.h — the on-demand scan walker: a depth-first directory walk done with
// openat()/fdopendir() relative to open directory fds, so paths longer than PATH_MAX work and no
// path is ever resolved twice. Owns: which entries are opened and how (never follows symlinks
// below a root; never opens FIFOs, sockets or devices: d_type or fstatat first, regular files
// opened O_NONBLOCK|O_NOFOLLOW and checked with fstat), loop safety (a directory whose dev+ino
// is one of its own ancestors is not entered, as fts does: memory stays O(depth) on trees of
// millions of directories), skipping mounts of pseudo filesystems, and the counts of what it
// skipped and why. Helpers (escaping, errno names, pseudo-filesystem magic) are in walk_util.*.
// The file fds it returns belong to the caller (who closes them); directory fds stay here.
// Must not: decide exclusions (the caller approves candidates), scan, or know about N-API.
// Not thread-safe: one Step() at a time (the N-API side serializes calls).
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/walk_util.h"

namespace wdav {
namespace walk {

// Why an entry was not returned, counted per walk.
enum Count : int {
  kDirs = 0,       // directories entered
  kFiles,          // regular files opened and returned
  kSymlinks,       // symbolic links (never followed below a root)
  kSpecial,        // FIFOs, sockets, character and block devices (never opened)
  kVanished,       // ENOENT/ENOTDIR/ESTALE between listing and opening
  kDenied,         // EACCES/EPERM
  kErrors,         // any other failure (EIO, EMFILE, too deep, ...)
  kLoops,          // directory that is its own ancestor (a bind-mount loop): not entered
  kMountsSkipped,  // mounts of pseudo filesystems or of devices the caller excluded
  kLongPaths,      // entries whose path is longer than PATH_MAX (handled, only counted)
  kCountMax
};

// One entry reported with a reason (failures and skipped mounts), for the scan's log.
struct Event {
  std::string path;  // display form (see Escape)
  std::string code;  // EACCES, ENOENT, MOUNT_SKIPPED, TOO_DEEP, ...
};

struct Options {
  // Candidates (files and subdirectories) are returned for approval instead of being opened.
  bool filter = false;
  // At most this many files opened (or candidates listed) per Step.
  size_t batch = 128;
  size_t max_depth = 4096;
  // st_dev values never entered (pseudo and, for full scans, network filesystems).
  std::vector<uint64_t> skip_devs;
  // Try O_NOATIME first (root or owner), so a scan leaves access times alone.
  bool noatime = true;
};

struct OpenedFile {
  int fd;
  int64_t size;
  std::string raw;      // path bytes as on disk
  std::string display;  // valid UTF-8, invalid bytes and control characters as \xHH
  bool escaped;         // display != raw
};

struct Candidate {
  bool is_dir;
  std::string name;
  std::string raw;
  std::string display;
  bool escaped;
};

struct StepResult {
  std::vector<OpenedFile> files;
  std::vector<Candidate> candidates;
  std::vector<Event> events;
  int64_t counts[kCountMax] = {0};
  bool done = false;
};

// Closes file fds a caller could not hand on.
void CloseFiles(std::vector<OpenedFile>* files);

class Walker {
 public:
  Walker(std::vector<std::string> roots, Options opts);
  ~Walker();
  Walker(const Walker&) = delete;
  Walker& operator=(const Walker&) = delete;

  // Applies `decisions` (one byte per candidate of the previous Step: 1 = go ahead) and walks on.
  void Step(const std::vector<uint8_t>& decisions, StepResult* out);
  // Closes every directory fd; later Steps report done.
  void Close();

 private:
  struct Frame {
    DIR* dir = nullptr;
    int fd = -1;
    uint64_t dev = 0;
    uint64_t ino = 0;
    std::string raw;
    std::string display;
    bool escaped = false;
    bool eof = false;
    std::vector<std::string> subdirs;  // approved, not yet entered
    size_t next_subdir = 0;
  };

  void StartRoot(const std::string& root, StepResult* out);
  void EnterDir(Frame& parent, const std::string& name, StepResult* out);
  bool AdmitDir(int fd, uint64_t parent_dev, const std::string& display, StepResult* out, uint64_t* dev, uint64_t* ino);
  void OpenFile(int dirfd, const std::string& name, const Frame* parent, const std::string& raw_root, StepResult* out);
  void ReadEntries(Frame& f, StepResult* out);
  void Fail(StepResult* out, int count, const std::string& display, const std::string& code);
  void Child(const Frame& f, const std::string& name, std::string* raw, std::string* display, bool* escaped) const;

  std::vector<std::string> roots_;
  size_t next_root_ = 0;
  Options opts_;
  std::vector<Frame> stack_;
  std::vector<Candidate> pending_;
  std::unordered_set<uint64_t> skip_devs_;
  bool closed_ = false;
};

}  // namespace walk
}  // namespace wdav
