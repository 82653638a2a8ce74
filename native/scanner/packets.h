// native/scanner/packets.h — the scanner's side of its sockets (control and content alike): one
// request packet and the fds that came with it (SCM_RIGHTS, close-on-exec; the caller owns the
// fds it gets back), and one reply packet (header, then the payload) sent whole.
// Owns: recvmsg/send and the control-message walk. Must not: interpret the payloads.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "scanner/protocol.h"

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

// Sends reply header (magic, op, id, status) + `payload` as one packet on `sock`, cut at the
// protocol's maximum. `mu` serialises the threads replying on that socket. False when the
// socket failed (the broker is gone).
inline bool SendReplyPacket(int sock, std::mutex& mu, uint32_t op, uint32_t id, uint32_t status, const std::string& payload) {
  Writer w;
  w.U32(kMagic);
  w.U32(op);
  w.U32(id);
  w.U32(status);
  std::string out = w.bytes() + payload;
  if (out.size() > kMaxPacket) out.resize(kMaxPacket);  // a reply never exceeds a packet
  std::lock_guard<std::mutex> l(mu);
  for (;;) {
    ssize_t n = send(sock, out.data(), out.size(), MSG_NOSIGNAL);
    if (n >= 0) return true;
    if (errno != EINTR) return false;
  }
}

}  // namespace scanner
}  // namespace wdav
