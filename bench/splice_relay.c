// The floor for bench_proxy.py: a minimal relay in C (a thread per direction, blocking splice(2) through a
// 1 MiB pipe, TCP_NODELAY on both legs). `splice_relay PORT...` listens on one free loopback port per
// backend PORT, prints them on one line, and relays every connection to its backend. Linux only.
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
struct dir { int src, dst; };
static int backend_ports[8]; static int lsocks[8];
static void *pump(void *arg) {
  struct dir *d = arg; int p[2]; pipe(p); fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
  for (;;) { ssize_t n = splice(d->src, NULL, p[1], NULL, 1 << 20, SPLICE_F_MOVE);
    if (n <= 0) break;
    while (n > 0) { ssize_t m = splice(p[0], NULL, d->dst, NULL, n, SPLICE_F_MOVE); if (m <= 0) goto out; n -= m; } }
out: shutdown(d->dst, SHUT_WR); close(p[0]); close(p[1]); return NULL; }
struct cj { int c, port; };
static void *conn(void *arg) {
  struct cj *j = arg; int c = j->c; int backend_port = j->port; free(j); int one = 1; setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, 4);
  int u = socket(AF_INET, SOCK_STREAM, 0); setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, 4);
  struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_port = htons(backend_port); a.sin_addr.s_addr = htonl(0x7f000001);
  if (connect(u, (void *)&a, sizeof a) < 0) { close(c); close(u); return NULL; }
  struct dir d1 = {c, u}, d2 = {u, c}; pthread_t t; pthread_create(&t, NULL, pump, &d1); pump(&d2); pthread_join(t, NULL);
  close(c); close(u); return NULL; }
static void *acceptor(void *arg) { int i = (int)(long)arg;
  for (;;) { int c = accept(lsocks[i], NULL, NULL); if (c < 0) continue; struct cj *j = malloc(sizeof *j); j->c = c; j->port = backend_ports[i]; pthread_t t; pthread_create(&t, NULL, conn, j); pthread_detach(t); } }
int main(int argc, char **argv) {
  int n = argc - 1; int ls[8];
  for (int i = 0; i < n; i++) { ls[i] = socket(AF_INET, SOCK_STREAM, 0); int one = 1; setsockopt(ls[i], SOL_SOCKET, SO_REUSEADDR, &one, 4);
    struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_addr.s_addr = htonl(0x7f000001); bind(ls[i], (void *)&a, sizeof a); listen(ls[i], 512);
    socklen_t l = sizeof a; getsockname(ls[i], (void *)&a, &l); printf("%d ", ntohs(a.sin_port)); }
  printf("\n"); fflush(stdout);
  // one accept thread per listener, each relays to argv[i+1]
  for (int i = 0; i < n; i++) { backend_ports[i] = atoi(argv[i + 1]); lsocks[i] = ls[i]; pthread_t t; pthread_create(&t, NULL, acceptor, (void *)(long)i); }
  for (;;) pause();
}
