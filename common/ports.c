/* ports: free loopback ports (see ports.h). */
#include "common/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int ports_free_loopback(int *ports, int count)
{
    int fds[64], rc = 0;
    if (count < 0 || count > 64) return -1;
    for (int i = 0; i < count; i++) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t sl = sizeof sa;
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, sizeof sa) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&sa, &sl) != 0)
            rc = -1;
        else
            ports[i] = ntohs(sa.sin_port);
    }
    for (int i = 0; i < count; i++)
        if (fds[i] >= 0) close(fds[i]);
    return rc;
}

/* Split "tcp://ADDR:PORT" into a socket address; 0 or a message. */
static const char *s_parse(const char *ep, struct sockaddr_storage *ss, socklen_t *sl, int *wild)
{
    if (strncmp(ep, "tcp://", 6) != 0) return "expected tcp://ADDRESS:PORT";
    const char *host = ep + 6, *colon = strrchr(host, ':');
    if (!colon) return "expected tcp://ADDRESS:PORT";
    char addr[64];
    size_t hl = (size_t)(colon - host);
    int v6 = hl >= 2 && host[0] == '[' && host[hl - 1] == ']';
    if (v6) {
        host++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof addr) return "expected tcp://ADDRESS:PORT";
    memcpy(addr, host, hl);
    addr[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535) return "the port must be 1..65535";
    memset(ss, 0, sizeof *ss);
    *wild = !strcmp(addr, "*");
    if (*wild) strcpy(addr, v6 ? "::" : "0.0.0.0");
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1) return "not a numeric IPv6 address";
        *wild |= IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr);
        *sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, addr, &a->sin_addr) != 1)
            return "not a numeric address (a host name could resolve to another machine: "
                   "use the address this server owns)";
        *wild |= a->sin_addr.s_addr == htonl(INADDR_ANY);
        *sl = sizeof *a;
    }
    return NULL;
}

int ports_reserve(const char *endpoint, int allow_wildcard, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    int wild = 0;
    const char *why = s_parse(endpoint, &ss, &sl, &wild);
    if (!why && wild && !allow_wildcard)
        why = "a wildcard address cannot be a mesh endpoint (the others must reach this "
              "server at exactly this address)";
    if (why) {
        snprintf(err, errlen, "endpoint %s: %s", endpoint, why);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1) != 0) {
        int e = errno;
        snprintf(err, errlen, "endpoint %s: %s", endpoint,
                 e == EADDRNOTAVAIL ? "not an address of this host"
                 : e == EADDRINUSE  ? "the port is busy (another server, or a process still "
                                      "holding it)"
                                    : strerror(e));
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

void ports_release(int fd)
{
    if (fd >= 0) close(fd);
}
