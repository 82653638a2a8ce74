// native/core/walk_util.cc — see walk_util.h.
#include "core/walk_util.h"

#include <sys/types.h>

#include <cerrno>

#ifdef __linux__
#include <linux/magic.h>
#include <sys/sysmacros.h>
#endif

namespace wdav {
namespace walk {

namespace {

bool Cont(unsigned char c) { return (c & 0xC0) == 0x80; }

const char kHex[] = "0123456789abcdef";

}  // namespace

std::string ErrnoName(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EIO: return "EIO";
    case ELOOP: return "ELOOP";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENXIO: return "ENXIO";
    case ENODEV: return "ENODEV";
    case EOVERFLOW: return "EOVERFLOW";
    case ESTALE: return "ESTALE";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case ETXTBSY: return "ETXTBSY";
    default: return "E" + std::to_string(e);
  }
}

bool Escape(const char* p, size_t n, std::string* out) {
  const unsigned char* s = reinterpret_cast<const unsigned char*>(p);
  bool escaped = false;
  out->reserve(out->size() + n);
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len = 0;
    if (c >= 0x20 && c < 0x7F) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (i + 1 < n && Cont(s[i + 1])) len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      // Overlong forms (E0 80..9F) and UTF-16 surrogates (ED A0..BF) are not valid UTF-8.
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      if (i + 2 < n && s[i + 1] >= lo && s[i + 1] <= hi && Cont(s[i + 2])) len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      if (i + 3 < n && s[i + 1] >= lo && s[i + 1] <= hi && Cont(s[i + 2]) && Cont(s[i + 3])) len = 4;
    }
    if (len == 0) {
      out->append("\\x");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
      escaped = true;
      i++;
    } else {
      out->append(p + i, len);
      i += len;
    }
  }
  return escaped;
}

uint64_t MakeDev(uint32_t major, uint32_t minor) { return static_cast<uint64_t>(makedev(major, minor)); }

bool IsPseudoFsMagic(int64_t magic) {
#ifdef __linux__
  switch (static_cast<uint32_t>(magic)) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case SECURITYFS_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case PSTOREFS_MAGIC:
    case BPF_FS_MAGIC:
    case SELINUX_MAGIC:
    case SMACK_MAGIC:
    case EFIVARFS_MAGIC:
    case BINFMTFS_MAGIC:
    case NSFS_MAGIC:
    case AUTOFS_SUPER_MAGIC:
    case 0x62656570:  // configfs
    case 0x65735543:  // fusectl
    case 0x19800202:  // mqueue
    case 0x67596969:  // rpc_pipefs
      return true;
    default:
      return false;
  }
#else
  (void)magic;
  return false;
#endif
}

}  // namespace walk
}  // namespace wdav
