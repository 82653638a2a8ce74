// bench/rtp/floor.c — the floor of the open storm on this machine: a fanotify permission
// listener that allows every event at once (one reader thread, no scan, no ignore mark, no
// path lookup). What it costs is the kernel's own work per permission event (queue the event,
// put the opener to sleep, create the event fd, read, write the answer, wake the opener).
// Usage: floor MOUNT [THREADS] — marks MOUNT (FAN_MARK_MOUNT, FAN_OPEN_PERM), prints "ready"
// and answers on THREADS threads reading the same group (default 1) until SIGTERM, then prints
// {"events":N} and exits.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/fanotify.h>
#include <unistd.h>

static volatile sig_atomic_t stop = 0;
static void on_term(int s) { (void)s; stop = 1; }
static int fan = -1;
static atomic_ullong events;

static void* answer(void* arg) {
  (void)arg;
  char buf[64 * 1024] __attribute__((aligned(8)));
  while (!stop) {
    struct pollfd p = {fan, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    ssize_t len = read(fan, buf, sizeof buf);
    if (len <= 0) continue;
    for (struct fanotify_event_metadata* m = (struct fanotify_event_metadata*)buf; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
      if (m->fd < 0) continue;
      struct fanotify_response r = {m->fd, FAN_ALLOW};
      if (write(fan, &r, sizeof r) != sizeof r) perror("write");
      close(m->fd);
      atomic_fetch_add(&events, 1);
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: floor MOUNT [THREADS]\n");
    return 2;
  }
  int threads = argc == 3 ? atoi(argv[2]) : 1;
  if (threads < 1 || threads > 64) threads = 1;
  fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fan < 0) { perror("fanotify_init"); return 1; }
  if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN_PERM, AT_FDCWD, argv[1]) != 0) { perror("fanotify_mark"); return 1; }
  struct sigaction sa = {0};
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  printf("ready\n");
  fflush(stdout);
  pthread_t t[64];
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, answer, NULL);
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  close(fan);  // the kernel allows whatever is still pending
  printf("{\"events\":%llu,\"threads\":%d}\n", (unsigned long long)atomic_load(&events), threads);
  return 0;
}
