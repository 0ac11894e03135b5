/* ports: free loopback ports (see ports.h). */
#include "common/ports.h"

#include <arpa/inet.h>
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
