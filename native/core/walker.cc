// native/core/walker.cc — see walker.h. Every open below a root is relative to the parent's
// directory fd (openat), so the kernel never resolves a path longer than one name.
#include "core/walker.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#ifdef __linux__
#include <sys/statfs.h>
#else
#include <sys/param.h>
#include <sys/mount.h>
#endif

#ifndef O_NOATIME
#define O_NOATIME 0
#endif

namespace wdav {
namespace walk {

namespace {

// Which count an errno from open/stat falls under.
int Classify(int e) {
  switch (e) {
    case ENOENT:
    case ENOTDIR:
    case ESTALE:
      return kVanished;
    case EACCES:
    case EPERM:
      return kDenied;
    default:
      return kErrors;
  }
}

}  // namespace

void CloseFiles(std::vector<OpenedFile>* files) {
  for (OpenedFile& f : *files)
    if (f.fd >= 0) close(f.fd);
  files->clear();
}


Walker::Walker(std::vector<std::string> roots, Options opts) : roots_(std::move(roots)), opts_(std::move(opts)) {
  if (opts_.batch == 0) opts_.batch = 1;
  for (uint64_t d : opts_.skip_devs) skip_devs_.insert(d);
}

Walker::~Walker() { Close(); }

void Walker::Close() {
  for (Frame& f : stack_)
    if (f.dir) closedir(f.dir);
  stack_.clear();
  pending_.clear();
  closed_ = true;
}

void Walker::Fail(StepResult* out, int count, const std::string& display, const std::string& code) {
  out->counts[count]++;
  out->events.push_back({display, code});
}

void Walker::Child(const Frame& f, const std::string& name, std::string* raw, std::string* display, bool* escaped) const {
  const bool at_root = f.raw == "/";
  raw->reserve(f.raw.size() + 1 + name.size());
  *raw = f.raw;
  if (!at_root) raw->push_back('/');
  raw->append(name);
  *display = f.display;
  if (!at_root) display->push_back('/');
  *escaped = Escape(name.data(), name.size(), display) || f.escaped;
}

// Checks a directory about to be entered: a directory, not seen before, not a skipped mount.
bool Walker::AdmitDir(int fd, uint64_t parent_dev, const std::string& display, StepResult* out, uint64_t* dev, uint64_t* ino) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    Fail(out, Classify(e), display, ErrnoName(e));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    out->counts[kVanished]++;
    return false;
  }
  *dev = static_cast<uint64_t>(st.st_dev);
  *ino = static_cast<uint64_t>(st.st_ino);
  for (const Frame& a : stack_) {
    if (a.dev == *dev && a.ino == *ino) {
      Fail(out, kLoops, display, "LOOP");
      return false;
    }
  }
  if (*dev != parent_dev) {
    if (skip_devs_.count(*dev)) {
      Fail(out, kMountsSkipped, display, "MOUNT_SKIPPED");
      return false;
    }
#ifdef __linux__
    struct statfs sf;
    if (fstatfs(fd, &sf) == 0 && IsPseudoFsMagic(static_cast<int64_t>(sf.f_type))) {
      Fail(out, kMountsSkipped, display, "MOUNT_SKIPPED");
      return false;
    }
#endif
  }
  return true;
}

void Walker::StartRoot(const std::string& root, StepResult* out) {
  std::string display;
  Escape(root.data(), root.size(), &display);
  struct stat st;
  // The root itself may be a symbolic link (as `find -H`): the administrator named it.
  if (stat(root.c_str(), &st) != 0) {
    int e = errno;
    Fail(out, Classify(e), display, ErrnoName(e));
    return;
  }
  if (S_ISREG(st.st_mode)) {
    OpenFile(AT_FDCWD, root, nullptr, root, out);
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    out->counts[kSpecial]++;
    return;
  }
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    Fail(out, Classify(e), display, ErrnoName(e));
    return;
  }
  uint64_t dev = 0;
  uint64_t ino = 0;
  // UINT64_MAX as the parent's device: a root is always checked as a possible pseudo mount.
  if (!AdmitDir(fd, UINT64_MAX, display, out, &dev, &ino)) {
    close(fd);
    return;
  }
  DIR* d = fdopendir(fd);
  if (!d) {
    int e = errno;
    close(fd);
    Fail(out, kErrors, display, ErrnoName(e));
    return;
  }
  Frame f;
  f.dir = d;
  f.fd = fd;
  f.dev = dev;
  f.ino = ino;
  f.raw = root.size() > 1 && root.back() == '/' ? root.substr(0, root.find_last_not_of('/') + 1) : root;
  if (f.raw.empty()) f.raw = "/";
  f.display.clear();
  f.escaped = Escape(f.raw.data(), f.raw.size(), &f.display);
  out->counts[kDirs]++;
  stack_.push_back(std::move(f));
}

void Walker::EnterDir(Frame& parent, const std::string& name, StepResult* out) {
  Frame f;
  Child(parent, name, &f.raw, &f.display, &f.escaped);
  if (stack_.size() >= opts_.max_depth) {
    Fail(out, kErrors, f.display, "TOO_DEEP");
    return;
  }
  int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  int fd = openat(parent.fd, name.c_str(), flags);
  if (fd < 0) {
    int e = errno;
    // ELOOP: it became a symbolic link after it was listed; never followed.
    if (e == ELOOP) out->counts[kSymlinks]++;
    else Fail(out, Classify(e), f.display, ErrnoName(e));
    return;
  }
  if (!AdmitDir(fd, parent.dev, f.display, out, &f.dev, &f.ino)) {
    close(fd);
    return;
  }
  f.dir = fdopendir(fd);
  if (!f.dir) {
    int e = errno;
    close(fd);
    Fail(out, kErrors, f.display, ErrnoName(e));
    return;
  }
  f.fd = fd;
  out->counts[kDirs]++;
  if (f.raw.size() >= PATH_MAX) out->counts[kLongPaths]++;
  stack_.push_back(std::move(f));  // `parent` may dangle from here on
}

void Walker::OpenFile(int dirfd, const std::string& name, const Frame* parent, const std::string& raw_root, StepResult* out) {
  OpenedFile of;
  if (parent) {
    Child(*parent, name, &of.raw, &of.display, &of.escaped);
  } else {
    of.raw = raw_root;
    of.escaped = Escape(raw_root.data(), raw_root.size(), &of.display);
  }
  // O_NONBLOCK: should the entry have become a FIFO since it was listed, open does not wait
  // for a writer. O_NOFOLLOW below a root: a file swapped for a symlink is not followed.
  int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (parent ? O_NOFOLLOW : 0);
  int fd = -1;
  if (opts_.noatime && O_NOATIME != 0) {
    fd = openat(dirfd, name.c_str(), flags | O_NOATIME);
    // EPERM: O_NOATIME needs ownership or CAP_FOWNER; try again without it.
    if (fd < 0 && errno == EPERM) fd = openat(dirfd, name.c_str(), flags);
  } else {
    fd = openat(dirfd, name.c_str(), flags);
  }
  if (fd < 0) {
    int e = errno;
    if (e == ELOOP) out->counts[kSymlinks]++;
    else if (e == ENXIO) out->counts[kSpecial]++;
    else Fail(out, Classify(e), of.display, ErrnoName(e));
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    Fail(out, Classify(e), of.display, ErrnoName(e));
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    out->counts[kSpecial]++;
    return;
  }
  if (parent && static_cast<uint64_t>(st.st_dev) != parent->dev && skip_devs_.count(static_cast<uint64_t>(st.st_dev))) {
    // A file bind-mounted from a skipped filesystem.
    close(fd);
    Fail(out, kMountsSkipped, of.display, "MOUNT_SKIPPED");
    return;
  }
  of.fd = fd;
  of.size = static_cast<int64_t>(st.st_size);
  out->counts[kFiles]++;
  if (of.raw.size() >= PATH_MAX) out->counts[kLongPaths]++;
  out->files.push_back(std::move(of));
}

void Walker::ReadEntries(Frame& f, StepResult* out) {
  const size_t cap = opts_.batch;
  while (out->files.size() < cap && out->candidates.size() < cap) {
    errno = 0;
    struct dirent* e = readdir(f.dir);
    if (!e) {
      if (errno != 0) Fail(out, Classify(errno), f.display, ErrnoName(errno));
      f.eof = true;
      return;
    }
    const char* n = e->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      // Some filesystems do not fill d_type: ask without following.
      struct stat st;
      if (fstatat(f.fd, n, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int err = errno;
        std::string raw, display;
        bool esc;
        Child(f, n, &raw, &display, &esc);
        Fail(out, Classify(err), display, ErrnoName(err));
        continue;
      }
      type = IFTODT(st.st_mode);
    }
    if (type == DT_LNK) {
      out->counts[kSymlinks]++;
    } else if (type == DT_DIR || type == DT_REG) {
      if (opts_.filter) {
        Candidate c;
        c.is_dir = type == DT_DIR;
        c.name = n;
        Child(f, c.name, &c.raw, &c.display, &c.escaped);
        out->candidates.push_back(c);
        pending_.push_back(std::move(c));
      } else if (type == DT_DIR) {
        f.subdirs.emplace_back(n);
      } else {
        OpenFile(f.fd, n, &f, std::string(), out);
      }
    } else {
      out->counts[kSpecial]++;
    }
  }
}

void Walker::Step(const std::vector<uint8_t>& decisions, StepResult* out) {
  if (closed_) {
    out->done = true;
    return;
  }
  if (!pending_.empty()) {
    // Candidates always come from the frame on top, which stays there until they are decided.
    Frame& f = stack_.back();
    for (size_t i = 0; i < pending_.size(); i++) {
      if (i >= decisions.size() || !decisions[i]) continue;
      if (pending_[i].is_dir) f.subdirs.push_back(std::move(pending_[i].name));
      else OpenFile(f.fd, pending_[i].name, &f, std::string(), out);
    }
    pending_.clear();
  }
  for (;;) {
    if (out->files.size() >= opts_.batch) return;
    if (stack_.empty()) {
      if (next_root_ >= roots_.size()) {
        out->done = true;
        return;
      }
      StartRoot(roots_[next_root_++], out);
      continue;
    }
    Frame& f = stack_.back();
    if (!f.eof) {
      ReadEntries(f, out);
      if (!out->candidates.empty()) return;
      continue;
    }
    if (f.next_subdir < f.subdirs.size()) {
      std::string name = std::move(f.subdirs[f.next_subdir++]);
      EnterDir(f, name, out);
      continue;
    }
    closedir(f.dir);
    stack_.pop_back();
  }
}

}  // namespace walk
}  // namespace wdav
