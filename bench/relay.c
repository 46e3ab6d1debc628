// The floor for bench_proxy.py: a minimal TCP relay in C, what two loopback hops cost without Python.
// A thread per direction, blocking recv/send through a 1 MiB buffer, TCP_NODELAY on both legs. Built with
// -DUSE_SPLICE it moves the bytes with splice(2) through a 1 MiB pipe instead (which costs more CPU per byte in
// total on loopback: the receiving side then reads page-sized fragments).
// Usage: relay PORT... listens on one free loopback port per backend PORT, prints them on one line, and relays
// every connection to its backend. Linux only; bench_proxy.py builds it with `cc -O2 -pthread`.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (1 << 20)

struct way { int src, dst; };
struct job { int client, port; };
static int listeners[8], backends[8];

static void *pump(void *arg) {
    struct way *w = arg;
#ifdef USE_SPLICE
    int p[2];
    if (pipe(p) == 0) {
        fcntl(p[1], F_SETPIPE_SZ, CHUNK);
        for (ssize_t n; (n = splice(w->src, NULL, p[1], NULL, CHUNK, SPLICE_F_MOVE)) > 0;)
            for (ssize_t m; n > 0; n -= m)
                if ((m = splice(p[0], NULL, w->dst, NULL, n, SPLICE_F_MOVE)) <= 0) goto out;
    out:
        close(p[0]);
        close(p[1]);
    }
#else
    char *buf = malloc(CHUNK);
    for (ssize_t n; (n = recv(w->src, buf, CHUNK, 0)) > 0;)
        for (ssize_t off = 0, m; off < n; off += m)
            if ((m = send(w->dst, buf + off, n - off, MSG_NOSIGNAL)) <= 0) goto out;
out:
    free(buf);
#endif
    shutdown(w->dst, SHUT_WR);
    return NULL;
}

static void *connection(void *arg) {
    struct job *j = arg;
    int one = 1, client = j->client, upstream = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(j->port), .sin_addr.s_addr = htonl(0x7f000001)};
    free(j);
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(upstream, (struct sockaddr *)&a, sizeof a) == 0) {
        struct way up = {client, upstream}, down = {upstream, client};
        pthread_t t;
        pthread_create(&t, NULL, pump, &up);
        pump(&down);
        pthread_join(t, NULL);
    }
    close(client);
    close(upstream);
    return NULL;
}

static void *acceptor(void *arg) {
    int i = (int)(long)arg;
    for (;;) {
        int c = accept(listeners[i], NULL, NULL);
        if (c < 0) continue;
        struct job *j = malloc(sizeof *j);
        j->client = c;
        j->port = backends[i];
        pthread_t t;
        pthread_create(&t, NULL, connection, j);
        pthread_detach(t);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int n = argc - 1 < 8 ? argc - 1 : 8;
    for (int i = 0; i < n; i++) {
        int one = 1;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
        socklen_t len = sizeof a;
        listeners[i] = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(listeners[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(listeners[i], (struct sockaddr *)&a, sizeof a) || listen(listeners[i], 512)) return 1;
        getsockname(listeners[i], (struct sockaddr *)&a, &len);
        backends[i] = atoi(argv[i + 1]);
        printf("%d ", ntohs(a.sin_port));
    }
    printf("\n");
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        pthread_t t;
        pthread_create(&t, NULL, acceptor, (void *)(long)i);
    }
    for (;;) pause();
}
