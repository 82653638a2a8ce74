/* bench/rtp/bench-io.c — the measuring side of bench/rtp: timed file operations with no
 * runtime in between (a JS opener would add its own microseconds to every figure).
 *   bench-io write DIR N SIZE          create+write+close DIR/fI (distinct contents), per-op ns
 *   bench-io read DIR N PASSES         open+read all+close DIR/fI, per pass, per-op ns
 *   bench-io storm DIR N THREADS       open+read 4 KiB+close DIR/fI from THREADS threads, once each
 *                                      (p50/p99 per open+read+close across all threads)
 * Prints one JSON object per phase: {"phase":..,"n":..,"ok":..,"eperm":..,"other":..,
 * "p50_ns":..,"p99_ns":..,"mean_ns":..,"total_ms":..}. Exit status 0 unless arguments are bad. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void report(const char *phase, uint64_t *lat, long n, long ok, long eperm, long other, uint64_t total) {
  qsort(lat, n, sizeof *lat, cmp_u64);
  double sum = 0;
  for (long i = 0; i < n; i++) sum += (double)lat[i];
  printf("{\"phase\":\"%s\",\"n\":%ld,\"ok\":%ld,\"eperm\":%ld,\"other\":%ld,\"p50_ns\":%llu,\"p99_ns\":%llu,\"mean_ns\":%.0f,\"total_ms\":%.1f}\n",
         phase, n, ok, eperm, other, n ? (unsigned long long)lat[n / 2] : 0ull,
         n ? (unsigned long long)lat[(long)((n - 1) * 0.99)] : 0ull, n ? sum / n : 0.0, total / 1e6);
  fflush(stdout);
}

static void fill(unsigned char *buf, long size, long seed) {
  uint64_t x = 0x9e3779b97f4a7c15ull ^ (uint64_t)(seed + 1) * 0xbf58476d1ce4e5b9ull;
  for (long i = 0; i < size; i += 8) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    memcpy(buf + i, &x, size - i < 8 ? (size_t)(size - i) : 8);
  }
}

static int do_write(const char *dir, long n, long size) {
  unsigned char *buf = malloc(size + 8);
  uint64_t *lat = calloc(n, sizeof *lat);
  long ok = 0, eperm = 0, other = 0;
  char p[4096];
  uint64_t t_all = now_ns();
  for (long i = 0; i < n; i++) {
    fill(buf, size, i);
    snprintf(p, sizeof p, "%s/f%ld", dir, i);
    uint64_t t0 = now_ns();
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    int err = 0;
    if (fd < 0) err = errno;
    else {
      if (write(fd, buf, size) != size) err = errno ? errno : EIO;
      close(fd);
    }
    lat[i] = now_ns() - t0;
    if (!err) ok++; else if (err == EPERM) eperm++; else other++;
  }
  report("write", lat, n, ok, eperm, other, now_ns() - t_all);
  return 0;
}

static long read_one(const char *p, unsigned char *buf, long cap) {
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  long r;
  while ((r = read(fd, buf, cap)) > 0) {}
  close(fd);
  return r < 0 ? -EIO : 0;
}

static int do_read(const char *dir, long n, long passes) {
  enum { CAP = 1 << 16 };
  unsigned char *buf = malloc(CAP);
  uint64_t *lat = calloc(n, sizeof *lat);
  char p[4096];
  for (long pass = 1; pass <= passes; pass++) {
    long ok = 0, eperm = 0, other = 0;
    uint64_t t_all = now_ns();
    for (long i = 0; i < n; i++) {
      snprintf(p, sizeof p, "%s/f%ld", dir, i);
      uint64_t t0 = now_ns();
      long r = read_one(p, buf, CAP);
      lat[i] = now_ns() - t0;
      if (r == 0) ok++; else if (r == -EPERM) eperm++; else other++;
    }
    char phase[32];
    snprintf(phase, sizeof phase, "read%ld", pass);
    report(phase, lat, n, ok, eperm, other, now_ns() - t_all);
  }
  return 0;
}

struct storm { const char *dir; long n, threads, id, ok, eperm, other; uint64_t *lat; };

static void *storm_run(void *arg) {
  struct storm *s = arg;
  unsigned char buf[4096];
  char p[4096];
  for (long i = s->id; i < s->n; i += s->threads) {
    snprintf(p, sizeof p, "%s/f%ld", s->dir, i);
    uint64_t t0 = now_ns();
    long r = read_one(p, buf, sizeof buf);
    s->lat[i] = now_ns() - t0;
    if (r == 0) s->ok++; else if (r == -EPERM) s->eperm++; else s->other++;
  }
  return NULL;
}

static int do_storm(const char *dir, long n, long threads) {
  pthread_t *t = calloc(threads, sizeof *t);
  struct storm *s = calloc(threads, sizeof *s);
  uint64_t *lat = calloc(n, sizeof *lat);
  uint64_t t0 = now_ns();
  for (long i = 0; i < threads; i++) {
    s[i] = (struct storm){dir, n, threads, i, 0, 0, 0, lat};
    if (pthread_create(&t[i], NULL, storm_run, &s[i]) != 0) return 3;
  }
  long ok = 0, eperm = 0, other = 0;
  for (long i = 0; i < threads; i++) {
    pthread_join(t[i], NULL);
    ok += s[i].ok; eperm += s[i].eperm; other += s[i].other;
  }
  uint64_t total = now_ns() - t0;
  qsort(lat, n, sizeof *lat, cmp_u64);
  printf("{\"phase\":\"storm\",\"n\":%ld,\"threads\":%ld,\"ok\":%ld,\"eperm\":%ld,\"other\":%ld,\"p50_ns\":%llu,\"p99_ns\":%llu,\"total_ms\":%.1f}\n",
         n, threads, ok, eperm, other, n ? (unsigned long long)lat[n / 2] : 0ull, n ? (unsigned long long)lat[(long)((n - 1) * 0.99)] : 0ull, total / 1e6);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: bench-io write|read|storm DIR N ARG\n");
    return 2;
  }
  long n = atol(argv[3]), a = atol(argv[4]);
  if (!strcmp(argv[1], "write")) return do_write(argv[2], n, a);
  if (!strcmp(argv[1], "read")) return do_read(argv[2], n, a);
  if (!strcmp(argv[1], "storm")) return do_storm(argv[2], n, a);
  return 2;
}
