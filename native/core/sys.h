// native/core/sys.h — small system calls the daemon needs outside fanotify:
// peer credentials of a Unix socket (SO_PEERCRED) and systemd notification.
// Plain C++ (no N-API): errors are returned as errno values, converted at the edge.
#pragma once
#include <string>
#include <sys/types.h>

namespace wdav {

struct PeerCred {
  pid_t pid;
  uid_t uid;
  gid_t gid;
};

// Reads the credentials the kernel recorded when the peer connected. Returns 0 or errno.
int peer_cred(int fd, PeerCred* out);

// Sends `state` as one datagram to `socket_path` (systemd's NOTIFY_SOCKET value; a leading
// '@' names an abstract socket). Returns 0 or errno.
int sd_notify_send(const std::string& socket_path, const std::string& state);

}  // namespace wdav
