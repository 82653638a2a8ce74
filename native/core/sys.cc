// native/core/sys.cc — see sys.h. Owns nothing beyond the fds it opens for one call.
#include "sys.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
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
