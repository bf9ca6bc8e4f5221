/*
 * Starts `enjo-mock` for the C tests and benchmarks, and talks to its /_mock endpoints over a
 * plain socket (no HTTP library needed).
 *
 * The binary comes from $ENJO_MOCK_BIN (default: target/release/enjo-mock relative to the
 * current directory). It is run as `enjo-mock --port 0 --exit-on-stdin-close --quiet
 * --rate-limit <spec>` with a pipe on stdin; its first stdout line is `LISTENING <port>`.
 * Closing the pipe stops it.
 */
#ifndef ENJO_TEST_MOCK_SERVER_H
#define ENJO_TEST_MOCK_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#define MOCK_TOKEN "enjo-mock-token"

typedef struct mock_server {
    pid_t pid;
    int stdin_fd;
    int port;
    char base_url[64];
} mock_server;

/* Starts the mock with `--rate-limit <rate_limit>` ("off", "5/200ms,10/1s"). 0 on success. */
int mock_start(mock_server *mock, const char *rate_limit);

/* Closes its stdin and waits for it to exit. */
void mock_stop(mock_server *mock);

/*
 * One HTTP/1.1 request to 127.0.0.1:port with `Connection: close`. Returns the status code
 * (or -1), and copies up to out_len-1 bytes of the response body, NUL-terminated, into out
 * when out is not NULL.
 */
int mock_http(int port, const char *method, const char *path, const char *body, char *out,
              size_t out_len);

/* POST /_mock/faults {"bot_id", "fault", "times"}. 0 when the mock accepted it. */
int mock_fault(const mock_server *mock, const char *bot_id, const char *fault, int times);

/* POST /_mock/reset. 0 when accepted. */
int mock_reset(const mock_server *mock);

/* How many times `needle` occurs in GET `path` (e.g. "/_mock/requests"); -1 on failure. */
int mock_count(const mock_server *mock, const char *path, const char *needle);

/* A loopback port with nothing listening on it (bound, then closed). */
int closed_port(void);

#endif
