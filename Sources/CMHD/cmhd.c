#include "cmhd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmhd_server {
    struct MHD_Daemon *daemon;
    cmhd_handler handler;
    void *context;
};

/* Per-connection state across the access handler's calls. */
typedef struct {
    size_t body_length;
} request_state;

static enum MHD_Result collect_argument(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                        const char *value, size_t value_size) {
    (void)kind;
    cmhd_request *request = cls;
    if (request->argument_count < CMHD_MAX_ARGUMENTS) {
        cmhd_argument *argument = &request->arguments[request->argument_count];
        argument->key = key;
        argument->key_length = key_size;
        argument->value = value ? value : "";
        argument->value_length = value ? value_size : 0;
    }
    request->argument_count++;
    return MHD_YES;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **connection_state) {
    (void)version;
    (void)upload_data;
    struct cmhd_server *server = cls;
    request_state *state = *connection_state;
    if (state == NULL) {
        /* First call: headers only. Answering now would make MHD close the
         * connection, so keep-alive clients are answered on the next call. */
        state = calloc(1, sizeof *state);
        if (state == NULL) return MHD_NO;
        *connection_state = state;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* A body is read and dropped (counted, so the handler can refuse it). */
        state->body_length += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    cmhd_request request;
    memset(&request, 0, sizeof request);
    request.method = method;
    request.path = url;
    request.authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    request.body_length = state->body_length;
    MHD_get_connection_values_n(connection, MHD_GET_ARGUMENT_KIND, collect_argument, &request);

    cmhd_response reply;
    memset(&reply, 0, sizeof reply);
    server->handler(server->context, &request, &reply);
    struct MHD_Response *response = MHD_create_response_from_buffer(reply.body_length, reply.body,
                                                                    MHD_RESPMEM_MUST_FREE);
    if (response == NULL) {
        free(reply.body);
        return MHD_NO;
    }
    if (reply.content_type) MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type);
    if (reply.header_name && reply.header_value) MHD_add_response_header(response, reply.header_name, reply.header_value);
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    enum MHD_Result result = MHD_queue_response(connection, reply.status, response);
    MHD_destroy_response(response);
    return result;
}

static void completed(void *cls, struct MHD_Connection *connection, void **connection_state,
                      enum MHD_RequestTerminationCode code) {
    (void)cls;
    (void)connection;
    (void)code;
    free(*connection_state);
    *connection_state = NULL;
}

struct cmhd_server *cmhd_start(const char *address, uint16_t port, unsigned int threads,
                               unsigned int connection_limit, unsigned int timeout_seconds,
                               cmhd_handler handler, void *context, char *error, size_t error_size) {
    struct sockaddr_in socket_address;
    memset(&socket_address, 0, sizeof socket_address);
    socket_address.sin_family = AF_INET;
    socket_address.sin_port = htons(port);
    if (inet_pton(AF_INET, address, &socket_address.sin_addr) != 1) {
        snprintf(error, error_size, "'%s' is not an IPv4 address", address);
        return NULL;
    }
    struct cmhd_server *server = calloc(1, sizeof *server);
    if (server == NULL) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    server->handler = handler;
    server->context = context;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    /* MHD rejects a thread pool of one; leave the option out then. */
    unsigned int pool = threads > 1 ? threads : 0;
    errno = 0;
    server->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, answer, server,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&socket_address,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
        /* Bounds the request line and headers: a longer URI gets 414. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        pool > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool,
        MHD_OPTION_END);
    if (server->daemon == NULL) {
        snprintf(error, error_size, "cannot listen on %s:%u%s%s", address, port, errno ? ": " : "",
                 errno ? strerror(errno) : "");
        free(server);
        return NULL;
    }
    return server;
}

uint16_t cmhd_port(const struct cmhd_server *server) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

void cmhd_stop(struct cmhd_server *server) {
    if (server == NULL) return;
    MHD_stop_daemon(server->daemon);
    free(server);
}
