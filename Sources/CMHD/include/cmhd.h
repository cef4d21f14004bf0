#ifndef CMHD_H
#define CMHD_H
/* A small shim over libmicrohttpd for Quarry's HTTP server: it hides the
 * variadic MHD_start_daemon, the two-call access handler, request bodies and
 * response creation, and hands Swift one complete GET request at a time. */
#include <stddef.h>
#include <stdint.h>

#define CMHD_MAX_ARGUMENTS 32

/* One query-string argument, percent-decoded by libmicrohttpd; may contain
 * any bytes (NUL included), so it comes with its length. */
typedef struct {
    const char *key;
    size_t key_length;
    const char *value;
    size_t value_length;
} cmhd_argument;

typedef struct {
    const char *method;
    const char *path;
    /* The Authorization header, or NULL. */
    const char *authorization;
    cmhd_argument arguments[CMHD_MAX_ARGUMENTS];
    /* Arguments present; above CMHD_MAX_ARGUMENTS when some were left out. */
    size_t argument_count;
    /* Bytes of request body the client sent (the server takes none). */
    size_t body_length;
} cmhd_request;

typedef struct {
    unsigned int status;
    const char *content_type;
    /* malloc'd by the handler; libmicrohttpd frees it after sending. */
    char *body;
    size_t body_length;
    /* An extra header (e.g. WWW-Authenticate), or NULL. */
    const char *header_name;
    const char *header_value;
} cmhd_response;

typedef void (*cmhd_handler)(void *context, const cmhd_request *request, cmhd_response *response);

struct cmhd_server;

/* Starts serving on `address` (dotted IPv4) and `port` (0 picks a free one)
 * with `threads` worker threads. NULL on failure, with `error` (size
 * `error_size`) saying why. */
struct cmhd_server *cmhd_start(const char *address, uint16_t port, unsigned int threads,
                               unsigned int connection_limit, unsigned int timeout_seconds,
                               cmhd_handler handler, void *context, char *error, size_t error_size);

/* The port actually bound. */
uint16_t cmhd_port(const struct cmhd_server *server);

void cmhd_stop(struct cmhd_server *server);

#endif
