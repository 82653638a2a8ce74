// native/core/sys.h — small system calls the daemon needs outside fanotify:
// peer credentials and groups of a Unix socket (SO_PEERCRED, SO_PEERGROUPS), the fd limit
// (RLIMIT_NOFILE), systemd notification, and the last-resort exit of a shutdown that hangs.
// Plain C++ (no N-API): errors are returned as errno values, converted at the edge.
#pragma once
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace wdav {

struct PeerCred {
  pid_t pid;
  uid_t uid;
  gid_t gid;
};

// Reads the credentials the kernel recorded when the peer connected. Returns 0 or errno.
int peer_cred(int fd, PeerCred* out);

// The peer's supplementary groups as the kernel recorded them when it connected
// (SO_PEERGROUPS, Linux 4.13+): a later change of the peer process changes nothing.
// Returns 0 or errno (ENOPROTOOPT where the option does not exist).
int peer_groups(int fd, std::vector<gid_t>* out);

// RLIMIT_NOFILE of this process; RLIM_INFINITY as UINT64_MAX. Returns 0 or errno.
int nofile_limit(uint64_t* soft, uint64_t* hard);

// Sends `state` as one datagram to `socket_path` (systemd's NOTIFY_SOCKET value; a leading
// '@' names an abstract socket). Returns 0 or errno.
int sd_notify_send(const std::string& socket_path, const std::string& state);

// Starts a detached thread that ends the process with _exit(code) after `ms` milliseconds,
// whatever the JS thread is doing (blocked, or stuck in process.exit's teardown). Armed once at
// shutdown, as the last resort behind the JS shutdown deadline; returns 0 or errno.
int arm_exit_watchdog(unsigned ms, int code);

}  // namespace wdav
