/* See mock_server.h. */
#define _GNU_SOURCE
#include "mock_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int mock_start(mock_server *mock, const char *rate_limit) {
    const char *bin = getenv("ENJO_MOCK_BIN");
    if (bin == NULL || bin[0] == '\0') bin = "target/release/enjo-mock";
    int in_pipe[2], out_pipe[2];
    memset(mock, 0, sizeof *mock);
    mock->pid = -1;
    mock->stdin_fd = -1;
    if (pipe2(in_pipe, O_CLOEXEC) != 0) return -1;
    if (pipe2(out_pipe, O_CLOEXEC) != 0) {
        close(in_pipe[0]);
        close(in_pipe[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(in_pipe[0], STDIN_FILENO);
        dup2(out_pipe[1], STDOUT_FILENO);
        /* The mock's banner goes to stderr; keep it out of the test log unless asked for. */
        int saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        const char *show = getenv("ENJO_MOCK_STDERR");
        if (show == NULL || show[0] == '\0') {
            int devnull = open("/dev/null", O_WRONLY);
            if (devnull >= 0) dup2(devnull, STDERR_FILENO);
        }
        execl(bin, bin, "--port", "0", "--exit-on-stdin-close", "--quiet", "--rate-limit",
              rate_limit, (char *)NULL);
        dprintf(saved_stderr >= 0 ? saved_stderr : STDERR_FILENO,
                "cannot run %s: %s (set ENJO_MOCK_BIN)\n", bin, strerror(errno));
        _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    /* Read the first line, byte by byte (the rest of stdout is not needed). */
    char line[128];
    size_t n = 0;
    while (n + 1 < sizeof line) {
        char c;
        ssize_t got = read(out_pipe[0], &c, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0 || c == '\n') break;
        line[n++] = c;
    }
    line[n] = '\0';
    close(out_pipe[0]);
    int port = 0;
    if (sscanf(line, "LISTENING %d", &port) != 1 || port <= 0) {
        fprintf(stderr, "enjo-mock did not print LISTENING <port> (got \"%s\")\n", line);
        close(in_pipe[1]);
        waitpid(pid, NULL, 0);
        return -1;
    }
    mock->pid = pid;
    mock->stdin_fd = in_pipe[1];
    mock->port = port;
    snprintf(mock->base_url, sizeof mock->base_url, "http://127.0.0.1:%d", port);
    return 0;
}

void mock_stop(mock_server *mock) {
    if (mock->stdin_fd >= 0) close(mock->stdin_fd);
    mock->stdin_fd = -1;
    if (mock->pid > 0) {
        int status;
        while (waitpid(mock->pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    mock->pid = -1;
}

static int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t put = send(fd, data, len, MSG_NOSIGNAL);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return -1;
        data += put;
        len -= (size_t)put;
    }
    return 0;
}

int mock_http(int port, const char *method, const char *path, const char *body, char *out,
              size_t out_len) {
    int fd = connect_loopback(port);
    if (fd < 0) return -1;
    size_t body_len = body ? strlen(body) : 0;
    char head[512];
    int head_len = snprintf(head, sizeof head,
                            "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                            "Authorization: Bearer " MOCK_TOKEN "\r\n"
                            "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                            "Connection: close\r\n\r\n",
                            method, path, port, body_len);
    if (head_len <= 0 || (size_t)head_len >= sizeof head || write_all(fd, head, (size_t)head_len) ||
        (body_len && write_all(fd, body, body_len))) {
        close(fd);
        return -1;
    }
    /* Read everything (the server closes the connection). */
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        close(fd);
        return -1;
    }
    for (;;) {
        if (len + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) break;
            buf = bigger;
            cap *= 2;
        }
        ssize_t got = recv(fd, buf + len, cap - len - 1, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) status = -1;
    if (out != NULL && out_len > 0) {
        const char *start = strstr(buf, "\r\n\r\n");
        start = start ? start + 4 : buf + len;
        size_t n = strlen(start);
        if (n >= out_len) n = out_len - 1;
        memcpy(out, start, n);
        out[n] = '\0';
    }
    free(buf);
    return status;
}

int mock_fault(const mock_server *mock, const char *bot_id, const char *fault, int times) {
    char body[512];
    snprintf(body, sizeof body, "{\"bot_id\":\"%s\",\"fault\":\"%s\",\"times\":%d}", bot_id,
             fault, times);
    int status = mock_http(mock->port, "POST", "/_mock/faults", body, NULL, 0);
    return status >= 200 && status < 300 ? 0 : -1;
}

int mock_reset(const mock_server *mock) {
    int status = mock_http(mock->port, "POST", "/_mock/reset", "{}", NULL, 0);
    return status >= 200 && status < 300 ? 0 : -1;
}

int mock_count(const mock_server *mock, const char *path, const char *needle) {
    size_t cap = 1 << 22;
    char *body = malloc(cap);
    if (body == NULL) return -1;
    int status = mock_http(mock->port, "GET", path, NULL, body, cap);
    int count = -1;
    if (status == 200) {
        count = 0;
        for (const char *at = strstr(body, needle); at; at = strstr(at + 1, needle)) count++;
    }
    free(body);
    return count;
}

int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}
