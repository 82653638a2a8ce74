// native/core/fanotify_file.cc — see fanotify_file.h.
#include "fanotify_file.h"

#include <cstdint>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace wdav {
namespace fan {

std::string fd_path(int fd) {
  char link[32];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  std::string out(4096 + 64, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    ssize_t n = readlink(link, &out[0], out.size());
    if (n < 0) return std::string();
    if (static_cast<size_t>(n) < out.size()) {
      out.resize(static_cast<size_t>(n));
      return out;
    }
    out.assign(out.size() * 16, '\0');  // truncated: a path past PATH_MAX, retry once larger
  }
  return std::string();
}

std::string normalize_prefix(const std::string& prefix) {
  std::string p = prefix;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

bool in_scope(const std::string& path, const std::vector<std::string>& prefixes) {
  if (prefixes.empty() || path.empty()) return true;
  for (const std::string& p : prefixes) {
    if (p == "/") return true;
    if (path.size() < p.size() || path.compare(0, p.size(), p) != 0) continue;
    if (path.size() == p.size() || path[p.size()] == '/') return true;
    // "<prefix> (deleted)": the prefix names a file that was unlinked while open.
    if (path.compare(p.size(), std::string::npos, " (deleted)") == 0) return true;
  }
  return false;
}

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

FileId fd_identity(int fd) {
  FileId id;
  // statx gives the unique mount id in the same call (one syscall per event either way).
  struct statx sx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_MNT_ID_UNIQUE, &sx) == 0) {
    id.ok = true;
    id.regular = S_ISREG(sx.stx_mode);
    id.dev = static_cast<uint64_t>(makedev(sx.stx_dev_major, sx.stx_dev_minor));
    id.ino = static_cast<uint64_t>(sx.stx_ino);
    id.size = static_cast<int64_t>(sx.stx_size);
    id.mtime_ns = static_cast<int64_t>(sx.stx_mtime.tv_sec) * 1000000000LL + sx.stx_mtime.tv_nsec;
    id.ctime_ns = static_cast<int64_t>(sx.stx_ctime.tv_sec) * 1000000000LL + sx.stx_ctime.tv_nsec;
    if (sx.stx_mask & STATX_MNT_ID_UNIQUE) id.mnt_id = sx.stx_mnt_id;
    return id;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) return id;
  id.ok = true;
  id.regular = S_ISREG(st.st_mode);
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<int64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  id.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000LL + st.st_ctim.tv_nsec;
  return id;
}

bool same_identity(const FileId& a, const FileId& b) {
  return a.ok && b.ok && a.dev == b.dev && a.ino == b.ino && a.size == b.size &&
         a.mtime_ns == b.mtime_ns && a.ctime_ns == b.ctime_ns;
}

bool remote_filesystem(int fd) {
  // Magic numbers from linux/magic.h and the filesystems' sources; listed here so the build
  // does not depend on which of them the installed headers happen to define.
  static const uint32_t kRemote[] = {
      0x6969,      // NFS
      0x517B,      // SMB (smbfs)
      0xFF534D42,  // CIFS
      0xFE534D42,  // SMB2
      0x65735546,  // FUSE and fuseblk
      0x00C36400,  // Ceph
      0x01021997,  // 9P (v9fs)
      0x5346414F,  // AFS (kAFS superblock)
      0x6B414653,  // AFS (afs_fs)
      0x73757245,  // Coda
      0x564C,      // NCP
      0x7461636F,  // OCFS2
      0x01161970,  // GFS2
      0x0BD00BD0,  // Lustre
      0x20030528,  // OrangeFS / PVFS2
      0x47504653,  // GPFS
  };
  struct statfs sfs;
  if (fstatfs(fd, &sfs) != 0) return true;  // unknown: treat as unsafe for caching
  uint32_t type = static_cast<uint32_t>(sfs.f_type);
  for (uint32_t magic : kRemote)
    if (type == magic) return true;
  return false;
}

}  // namespace fan
}  // namespace wdav
