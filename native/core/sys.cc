// native/core/sys.cc — see sys.h. Owns nothing beyond the fds it opens for one call.
#include "sys.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <system_error>
#include <thread>

namespace wdav {

int peer_cred(int fd, PeerCred* out) {
#ifdef SO_PEERCRED
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return errno;
  out->pid = cred.pid;
  out->uid = cred.uid;
  out->gid = cred.gid;
  return 0;
#else
  (void)fd; (void)out;
  return ENOTSUP;
#endif
}

int peer_groups(int fd, std::vector<gid_t>* out) {
#ifdef SO_PEERGROUPS
  // Asked with a small buffer first; the kernel says how much it needs (ERANGE) when the peer
  // has more groups. Bounded by the kernel's own NGROUPS_MAX (65536).
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 3; ++attempt) {
    socklen_t len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
      groups.resize(len / sizeof(gid_t));
      out->swap(groups);
      return 0;
    }
    if (errno != ERANGE || len / sizeof(gid_t) > 65536) return errno == ERANGE ? E2BIG : errno;
    groups.resize(len / sizeof(gid_t));
  }
  return ERANGE;  // the peer's groups kept growing: not possible once connected
#else
  (void)fd; (void)out;
  return ENOPROTOOPT;
#endif
}

int nofile_limit(uint64_t* soft, uint64_t* hard) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return errno;
  *soft = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(rl.rlim_cur);
  *hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(rl.rlim_max);
  return 0;
}

int sd_notify_send(const std::string& socket_path, const std::string& state) {
  if (socket_path.empty() || socket_path.size() >= sizeof(sockaddr_un::sun_path)) return EINVAL;
  if (socket_path[0] != '/' && socket_path[0] != '@') return EAFNOSUPPORT;
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  socklen_t addr_len = offsetof(sockaddr_un, sun_path) + socket_path.size();
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  else addr_len += 1;                                     // include the terminating NUL

  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0) return errno;
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                     reinterpret_cast<sockaddr*>(&addr), addr_len);
  int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

int arm_exit_watchdog(unsigned ms, int code) {
  try {
    std::thread([ms, code] {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      // _exit: no atexit handlers, no static destructors, no joins — nothing that could hang.
      _exit(code);
    }).detach();
  } catch (const std::system_error& e) {
    return e.code().value();
  }
  return 0;
}

}  // namespace wdav
