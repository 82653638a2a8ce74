// native/core/scanner_link.cc — see scanner_link.h.
#include "core/scanner_link.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace wdav {
namespace scannerlink {

namespace {
constexpr size_t kMaxPacket = 256 * 1024;  // = kMaxPacket in native/scanner/protocol.h
}

int SocketPair(int fds[2]) {
  return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0 ? 0 : errno;
}

int SealedMemfd(const char* data, size_t len, int* fd) {
  int f = memfd_create("wdav-scanner-bundle", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (f < 0) return errno;
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(f, data + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(f);
      return err;
    }
    off += static_cast<size_t>(n);
  }
  if (fcntl(f, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    int err = errno;
    close(f);
    return err;
  }
  *fd = f;
  return 0;
}

int Send(int sock, const char* data, size_t len, int pass_fd) {
  if (len > kMaxPacket) return EMSGSIZE;
  struct iovec iov = {const_cast<char*>(data), len};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  if (pass_fd >= 0) {
    std::memset(control.buf, 0, sizeof control.buf);
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT); while (n < 0 && errno == EINTR);
  if (n < 0) return errno == ECONNRESET || errno == ENOTCONN ? EPIPE : (errno == EWOULDBLOCK ? EAGAIN : errno);
  return 0;
}

int Receive(int sock, std::string* reply) {
  reply->resize(kMaxPacket);
  ssize_t n;
  // recv() takes no SCM_RIGHTS: a broken scanner cannot plant fds in the broker.
  do n = recv(sock, &(*reply)[0], reply->size(), MSG_TRUNC | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno == ECONNRESET ? EPIPE : (errno == EWOULDBLOCK ? EAGAIN : errno);
  if (n == 0) return EPIPE;
  if (static_cast<size_t>(n) > reply->size()) return EMSGSIZE;
  reply->resize(static_cast<size_t>(n));
  return 0;
}

}  // namespace scannerlink
}  // namespace wdav
