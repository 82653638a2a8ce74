// native/core/fanotify_file.h — small per-event helpers for the fanotify core: the path of an
// event fd, RTP scope matching, fstat identity, and the network/FUSE filesystem test that keeps
// kernel ignore marks off filesystems whose content can change behind the kernel's back.
// Owns: nothing (stateless functions). Must not: open files by path.
#pragma once
#include <sys/fanotify.h>

#include <string>
#include <vector>

#include "fanotify_types.h"

// Mark flags newer than some installed headers (5.19 / 6.0); the kernel says EINVAL when it
// lacks them, and the group steps down (fanotify_verdict.cc).
#ifndef FAN_MARK_EVICTABLE
#define FAN_MARK_EVICTABLE 0x00000200
#endif
#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x00000400
#endif

namespace wdav {
namespace fan {

// readlink("/proc/self/fd/N"): raw bytes, possibly with " (deleted)". Empty on failure.
std::string fd_path(int fd);

// Strips trailing slashes ("/" stays "/"); empty input stays empty (callers reject it).
std::string normalize_prefix(const std::string& prefix);

// True when `prefixes` is empty (everything marked is in scope), or `path` equals a prefix or
// lies below one. An unresolvable (empty) path is in scope: JS decides rather than guessing.
bool in_scope(const std::string& path, const std::vector<std::string>& prefixes);

FileId fd_identity(int fd);
bool same_identity(const FileId& a, const FileId& b);

// True for filesystems where an inode ignore mark would be unsafe (network, cluster, FUSE).
bool remote_filesystem(int fd);

}  // namespace fan
}  // namespace wdav
