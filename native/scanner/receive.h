// native/scanner/receive.h — one request packet and the fds that came with it (SCM_RIGHTS,
// close-on-exec), for both of the scanner's sockets. The caller owns the fds it gets back.
// Owns: recvmsg and the control-message walk. Must not: interpret the packet.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace wdav {
namespace scanner {

// Returns the packet's length (> 0), or 0 / -1 when the socket closed or failed (errno).
// `truncated`: the packet or its fds did not fit (MSG_TRUNC | MSG_CTRUNC); fds that did fit are
// still returned, to be closed.
template <size_t kMaxFds>
ssize_t ReceivePacket(int sock, std::vector<char>& packet, std::vector<int>* fds, bool* truncated) {
  union {
    char buf[CMSG_SPACE(sizeof(int) * kMaxFds)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {packet.data(), packet.size()};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n;
  errno = 0;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  fds->clear();
  if (n <= 0) return n;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds->push_back(fd);
    }
  }
  *truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  return n;
}

}  // namespace scanner
}  // namespace wdav
