/*
 * netdb resolver functions for WASI preview1, linked into python.wasm with _pymode.
 *
 * zig's wasm32-wasi headers declare the classic resolver API (musl's <netdb.h>), but its
 * wasi-libc implements none of it: WASI preview1 has no name resolution. CPython's socket
 * module uses these functions directly and, because wasi-libc has no getaddrinfo either, it
 * compiles its own fallback getaddrinfo/getnameinfo (Modules/getaddrinfo.c), which calls them.
 *
 * These implementations make the API behave like a host without a resolver: numeric addresses
 * work (the fallback getaddrinfo handles them before calling gethostbyname), names are "not
 * found" (socket.gaierror / socket.herror), and the protocol table knows ip/icmp/tcp/udp.
 * Outbound connections in PyMode go through the host (pymode.tcp / pymode.http), not WASI sockets.
 */
/* HOST_NOT_FOUND, h_errno, hstrerror and friends are BSD/GNU extensions in musl's <netdb.h>
 * (CPython compiles with -std=c11; its pyconfig.h defines _GNU_SOURCE the same way). */
#define _GNU_SOURCE 1
#include <netdb.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static int pymode_h_errno;

int *
__h_errno_location(void)
{
    return &pymode_h_errno;
}

struct hostent *
gethostbyname(const char *name)
{
    (void)name;
    pymode_h_errno = HOST_NOT_FOUND;
    return NULL;
}

struct hostent *
gethostbyaddr(const void *addr, socklen_t len, int type)
{
    (void)addr;
    (void)len;
    (void)type;
    pymode_h_errno = HOST_NOT_FOUND;
    return NULL;
}

const char *
hstrerror(int err)
{
    switch (err) {
    case HOST_NOT_FOUND:
        return "Unknown host (no name resolution under WASI)";
    case TRY_AGAIN:
        return "Host name lookup failure";
    case NO_RECOVERY:
        return "Unknown server error";
    case NO_DATA:
        return "No address associated with name";
    default:
        return "Unknown error";
    }
}

struct servent *
getservbyname(const char *name, const char *proto)
{
    (void)name;
    (void)proto;
    return NULL; /* no services database */
}

struct servent *
getservbyport(int port, const char *proto)
{
    (void)port;
    (void)proto;
    return NULL;
}

static char *proto_no_aliases[] = {NULL};
static struct protoent protocols[] = {
    {"ip", proto_no_aliases, 0},
    {"icmp", proto_no_aliases, 1},
    {"tcp", proto_no_aliases, 6},
    {"udp", proto_no_aliases, 17},
};

struct protoent *
getprotobyname(const char *name)
{
    for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
        if (strcasecmp(name, protocols[i].p_name) == 0) {
            return &protocols[i];
        }
    }
    return NULL;
}
