/*
 * The fault matrix (issue 21, item 4) for C: every row of spec/fault-matrix.json against a
 * real enjo-mock (see mock_server.h). The data file is read with the small JSON reader below
 * (C has no JSON library of its own and the suite depends on none). Each row's outcome goes to
 * $ENJO_FAULT_MATRIX_RESULTS (default target/fault-matrix/) as c.json for
 * scripts/fault-matrix.py; a row whose outcome differs from the data file fails the run.
 * Built with -fsanitize=address,undefined by bindings-c/run-tests.sh.
 *
 * Usage: fault_matrix <repo root>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enjo.h"
#include "mock_server.h"

/* ---------------------------------------------------------------- a small JSON reader */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
    jtype type;
    bool boolean;
    double number;
    char *string;        /* J_STR: UTF-8, NUL-terminated */
    size_t count;        /* J_ARR / J_OBJ */
    struct jval *items;  /* J_ARR values / J_OBJ values */
    char **keys;         /* J_OBJ */
} jval;

typedef struct {
    const char *p;
    const char *end;
    int failed;
} jreader;

static void jfree(jval *v) {
    if (v == NULL) return;
    free(v->string);
    for (size_t i = 0; i < v->count; i++) {
        jfree(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

static void skip_ws(jreader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static void put_utf8(char **out, unsigned long cp) {
    char *o = *out;
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    *out = o;
}

static int hex4(jreader *r, unsigned long *cp) {
    if (r->end - r->p < 4) return -1;
    char buf[5] = {r->p[0], r->p[1], r->p[2], r->p[3], 0};
    char *stop = NULL;
    *cp = strtoul(buf, &stop, 16);
    if (stop != buf + 4) return -1;
    r->p += 4;
    return 0;
}

static char *parse_string(jreader *r) {
    if (r->p >= r->end || *r->p != '"') return NULL;
    r->p++;
    /* The decoded text is never longer than the source. */
    char *out = malloc((size_t)(r->end - r->p) + 1);
    if (out == NULL) return NULL;
    char *o = out;
    while (r->p < r->end && *r->p != '"') {
        char c = *r->p++;
        if (c != '\\') {
            *o++ = c;
            continue;
        }
        if (r->p >= r->end) break;
        char e = *r->p++;
        unsigned long cp = 0;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            if (hex4(r, &cp) != 0) goto bad;
            if (cp >= 0xD800 && cp < 0xDC00 && r->end - r->p >= 6 && r->p[0] == '\\' &&
                r->p[1] == 'u') {
                unsigned long low = 0;
                r->p += 2;
                if (hex4(r, &low) != 0) goto bad;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            put_utf8(&o, cp);
            break;
        default: goto bad;
        }
    }
    if (r->p >= r->end) goto bad;
    r->p++; /* closing quote */
    *o = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static int parse_value(jreader *r, jval *v, int depth);

static int push(jreader *r, jval *v, char *key, int depth) {
    jval *items = realloc(v->items, (v->count + 1) * sizeof *items);
    if (items == NULL) return -1;
    v->items = items;
    if (v->type == J_OBJ) {
        char **keys = realloc(v->keys, (v->count + 1) * sizeof *keys);
        if (keys == NULL) return -1;
        v->keys = keys;
        v->keys[v->count] = key;
    }
    memset(&v->items[v->count], 0, sizeof(jval));
    v->count++;
    return parse_value(r, &v->items[v->count - 1], depth + 1);
}

static int parse_value(jreader *r, jval *v, int depth) {
    memset(v, 0, sizeof *v);
    skip_ws(r);
    if (r->p >= r->end || depth > 32) return -1;
    char c = *r->p;
    if (c == '{' || c == '[') {
        v->type = c == '{' ? J_OBJ : J_ARR;
        char close = c == '{' ? '}' : ']';
        r->p++;
        skip_ws(r);
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return 0;
        }
        for (;;) {
            char *key = NULL;
            skip_ws(r);
            if (v->type == J_OBJ) {
                key = parse_string(r);
                skip_ws(r);
                if (key == NULL || r->p >= r->end || *r->p != ':') {
                    free(key);
                    return -1;
                }
                r->p++;
            }
            if (push(r, v, key, depth) != 0) return -1;
            skip_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == close) {
                r->p++;
                return 0;
            }
            return -1;
        }
    }
    if (c == '"') {
        v->type = J_STR;
        v->string = parse_string(r);
        return v->string ? 0 : -1;
    }
    if (strncmp(r->p, "true", 4) == 0 || strncmp(r->p, "false", 5) == 0) {
        v->type = J_BOOL;
        v->boolean = c == 't';
        r->p += v->boolean ? 4 : 5;
        return 0;
    }
    if (strncmp(r->p, "null", 4) == 0) {
        v->type = J_NULL;
        r->p += 4;
        return 0;
    }
    char *stop = NULL;
    v->type = J_NUM;
    v->number = strtod(r->p, &stop);
    if (stop == r->p) return -1;
    r->p = stop;
    return 0;
}

/* The member `key` of object `v`, or NULL. */
static const jval *jget(const jval *v, const char *key) {
    if (v == NULL || v->type != J_OBJ) return NULL;
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->keys[i], key) == 0) return &v->items[i];
    return NULL;
}

static const char *jstr(const jval *v) { return v && v->type == J_STR ? v->string : NULL; }

/* ---------------------------------------------------------------- the matrix */

/* What one call gave, in the data file's terms (strings borrowed from resp/err). */
typedef struct {
    const char *outcome;
    char outcome_buf[64];
    int status;           /* 0: none */
    const char *code;     /* NULL: none */
    double retry_after;   /* NaN: none */
    const char *answers;  /* NULL: none */
    long answers_length;  /* -1: none */
    const char *conversation_id;
    long sources;
    long requests;
} seen_t;

static long code_points(const char *s) {
    long n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) n++;
    return n;
}

static void append(char *buf, size_t cap, const char *fmt, const char *key, const char *want,
                   const char *got) {
    size_t len = strlen(buf);
    snprintf(buf + len, cap - len, fmt, len ? "; " : "", key, want, got);
}

/* Compares `expect` with `seen`; writes the differences into `detail` (empty: pass). */
static void compare(const jval *expect, const seen_t *seen, char *detail, size_t cap) {
    detail[0] = '\0';
    for (size_t i = 0; i < expect->count; i++) {
        const char *key = expect->keys[i];
        const jval *want = &expect->items[i];
        char w[96], g[96];
        bool same = true;
        if (strcmp(key, "outcome") == 0 || strcmp(key, "code") == 0 ||
            strcmp(key, "answers") == 0 || strcmp(key, "conversation_id") == 0) {
            const char *got = strcmp(key, "outcome") == 0 ? seen->outcome
                              : strcmp(key, "code") == 0  ? seen->code
                              : strcmp(key, "answers") == 0 ? seen->answers
                                                            : seen->conversation_id;
            const char *exp = jstr(want);
            same = (exp == NULL && got == NULL) || (exp && got && strcmp(exp, got) == 0);
            snprintf(w, sizeof w, "%.80s", exp ? exp : "null");
            snprintf(g, sizeof g, "%.80s", got ? got : "null");
        } else {
            double got = NAN;
            if (strcmp(key, "status") == 0) got = seen->status ? seen->status : NAN;
            else if (strcmp(key, "retry_after") == 0) got = seen->retry_after;
            else if (strcmp(key, "answers_length") == 0)
                got = seen->answers_length >= 0 ? (double)seen->answers_length : NAN;
            else if (strcmp(key, "sources") == 0) got = (double)seen->sources;
            else if (strcmp(key, "requests") == 0) got = (double)seen->requests;
            else {
                append(detail, cap, "%s%s: %s%s", key, " is not a known expectation", "");
                continue;
            }
            double exp = want->type == J_NUM ? want->number : NAN;
            same = (isnan(exp) && isnan(got)) || fabs(exp - got) < 1e-9;
            snprintf(w, sizeof w, "%g", exp);
            snprintf(g, sizeof g, "%g", got);
        }
        if (!same) append(detail, cap, "%s%s: expected %s, got %s", key, w, g);
    }
}

static void write_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

int main(int argc, char **argv) {
    const char *repo = argc > 1 ? argv[1] : ".";
    char path[4096];
    snprintf(path, sizeof path, "%s/spec/fault-matrix.json", repo);
    char *text = read_file(path);
    if (text == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    jreader reader = {text, text + strlen(text), 0};
    jval spec;
    if (parse_value(&reader, &spec, 0) != 0) {
        fprintf(stderr, "%s is not JSON this reader understands\n", path);
        jfree(&spec);
        free(text);
        return 1;
    }
    mock_server mock;
    if (mock_start(&mock, "off") != 0) {
        fprintf(stderr, "could not start enjo-mock\n");
        jfree(&spec);
        free(text);
        return 1;
    }
    const char *bot = jstr(jget(&spec, "bot"));
    const char *message = jstr(jget(&spec, "text"));
    const jval *defaults = jget(&spec, "defaults");
    const jval *rows = jget(&spec, "rows");
    char log_path[128];
    snprintf(log_path, sizeof log_path, "/_mock/requests?bot_id=%s", bot);

    const char *dir = getenv("ENJO_FAULT_MATRIX_RESULTS");
    char dir_buf[2048];
    if (dir == NULL || dir[0] == '\0') {
        snprintf(dir_buf, sizeof dir_buf, "%s/target/fault-matrix", repo);
        dir = dir_buf;
    }
    mkdir(dir, 0755);
    char out_path[4200];
    snprintf(out_path, sizeof out_path, "%s/c.json", dir);
    FILE *out = fopen(out_path, "w");
    if (out == NULL) {
        fprintf(stderr, "cannot write %s: %s\n", out_path, strerror(errno));
    } else {
        fputs("[\n", out);
    }

    int failed = 0, passed = 0;
    for (size_t i = 0; rows && i < rows->count; i++) {
        const jval *row = &rows->items[i];
        const char *id = jstr(jget(row, "id"));
        const char *fault = jstr(jget(row, "fault"));
        const jval *times = jget(row, "times");
        mock_reset(&mock);
        if (fault && mock_fault(&mock, bot, fault, times ? (int)times->number : 1000) != 0)
            fprintf(stderr, "    %s: the mock refused fault %s\n", id, fault);

        enjo_options opts;
        enjo_options_init(&opts);
        opts.base_url = mock.base_url;
        opts.token = MOCK_TOKEN;
        opts.rate_limit = false;
        const jval *layers[2] = {defaults, jget(row, "options")};
        for (int l = 0; l < 2; l++) {
            for (size_t k = 0; layers[l] && k < layers[l]->count; k++) {
                const char *name = layers[l]->keys[k];
                const jval *v = &layers[l]->items[k];
                if (strcmp(name, "timeout") == 0) opts.timeout_secs = v->number;
                else if (strcmp(name, "max_retries") == 0) opts.max_retries = (uint32_t)v->number;
                else if (strcmp(name, "retry_policy") == 0)
                    opts.retry_policy = strcmp(jstr(v) ? jstr(v) : "", "at_least_once") == 0
                                            ? ENJO_RETRY_AT_LEAST_ONCE
                                            : ENJO_RETRY_SAFE;
                else if (strcmp(name, "max_response_bytes") == 0)
                    opts.max_response_bytes = (size_t)v->number;
                else fprintf(stderr, "    option %s is not known here\n", name);
            }
        }
        enjo_client *client = NULL;
        enjo_error *err = NULL;
        enjo_response *resp = NULL;
        seen_t seen = {.outcome = "ok", .retry_after = NAN, .answers_length = -1};
        enjo_status st = enjo_client_new(&opts, &client, &err);
        if (st == ENJO_OK) st = enjo_send_message(client, bot, message, NULL, &resp, &err);
        if (st != ENJO_OK) {
            const char *name = enjo_status_name(st);
            const char *kind = strncmp(name, "ENJO_ERR_", 9) == 0 ? name + 9 : name;
            size_t n = 0;
            for (; kind[n] && n + 1 < sizeof seen.outcome_buf; n++)
                seen.outcome_buf[n] = (char)(kind[n] >= 'A' && kind[n] <= 'Z' ? kind[n] + 32
                                                                               : kind[n]);
            seen.outcome_buf[n] = '\0';
            seen.outcome = seen.outcome_buf;
            seen.status = enjo_error_http_status(err);
            seen.code = enjo_error_code(err);
            seen.retry_after = enjo_error_retry_after(err);
        } else {
            seen.answers = enjo_response_answers(resp);
            seen.answers_length = seen.answers ? code_points(seen.answers) : -1;
            seen.conversation_id = enjo_response_conversation_id(resp);
            seen.sources = (long)enjo_response_source_count(resp);
        }
        seen.requests = mock_count(&mock, log_path, "\"seq\"");

        char detail[1024];
        compare(jget(row, "expect"), &seen, detail, sizeof detail);
        const char *known = jstr(jget(jget(row, "known_failures"), "c"));
        bool pass = detail[0] == '\0';
        if (pass || known) passed++;
        else failed++;
        printf("%s %s: %s x%ld%s%s\n", pass ? "ok  " : (known ? "KNOWN" : "FAIL"), id,
               seen.outcome, seen.requests, pass ? "" : " -- ", detail);
        if (out) {
            fprintf(out, "  {\"binding\": \"c\", \"fault\": ");
            write_json_string(out, id);
            fprintf(out, ", \"outcome\": ");
            write_json_string(out, seen.outcome);
            fprintf(out, ", \"requests\": %ld, \"pass\": %s, \"detail\": ", seen.requests,
                    pass ? "true" : "false");
            write_json_string(out, detail);
            fprintf(out, "}%s\n", i + 1 < rows->count ? "," : "");
        }
        enjo_response_free(resp);
        enjo_error_free(err);
        enjo_client_free(client);
    }
    if (out) {
        fputs("]\n", out);
        fclose(out);
    }
    mock_stop(&mock);
    jfree(&spec);
    free(text);
    printf("fault matrix (C): %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
