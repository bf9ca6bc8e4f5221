/* See vendor_shape.h. */
#include "vendor_shape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, cap;
} sbuf;

static int sb_put(sbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 64);
        while (cap < b->len + n + 1) cap *= 2;
        char *buf = realloc(b->buf, cap);
        if (!buf) return 0;
        b->buf = buf;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
    return 1;
}

static int sb_str(sbuf *b, const char *s) { return sb_put(b, s, strlen(s)); }

static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    return p;
}

/* The end (after the closing quote) of the JSON string at p, or NULL. */
static const char *scan_string(const char *p) {
    if (*p != '"') return NULL;
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && !*++p) return NULL;
    return *p == '"' ? p + 1 : NULL;
}

static int by_text(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_items(char **items, size_t n) {
    for (size_t i = 0; i < n; i++) free(items[i]);
    free(items);
}

/* Appends the shape of the value at p (whose dotted path is `path`) to out; returns the end of
 * the value, or NULL on a syntax error or out of memory. */
static const char *shape(const char *p, sbuf *out, const char *path, const char *omit) {
    p = ws(p);
    if (*p == '{' || *p == '[') {
        int object = *p == '{';
        char close = object ? '}' : ']';
        char **items = NULL;
        size_t n = 0;
        p = ws(p + 1);
        if (*p == close) {
            p++;
        } else {
            for (;;) {
                sbuf item = {0};
                char child[512];
                if (object) {
                    const char *key = p, *end = scan_string(p);
                    if (!end) goto fail;
                    snprintf(child, sizeof child, "%s%s%.*s", path, *path ? "." : "",
                             (int)(end - key - 2), key + 1);
                    p = ws(end);
                    if (*p != ':' || !sb_put(&item, key, (size_t)(end - key)) || !sb_str(&item, ":"))
                        goto fail_item;
                    p++;
                } else {
                    snprintf(child, sizeof child, "%s[]", path);
                }
                p = shape(p, &item, child, omit);
                if (!p) goto fail_item;
                if (omit && strcmp(child, omit) == 0) {
                    free(item.buf);
                } else {
                    char **more = realloc(items, (n + 1) * sizeof *items);
                    if (!more) goto fail_item;
                    items = more;
                    items[n++] = item.buf ? item.buf : calloc(1, 1);
                }
                p = ws(p);
                if (*p == ',') {
                    p = ws(p + 1);
                    continue;
                }
                if (*p == close) {
                    p++;
                    break;
                }
                goto fail;
            fail_item:
                free(item.buf);
                goto fail;
            }
        }
        if (object) qsort(items, n, sizeof *items, by_text);
        int ok = sb_str(out, object ? "{" : "[");
        for (size_t i = 0; ok && i < n; i++) ok = (i == 0 || sb_str(out, ",")) && sb_str(out, items[i]);
        ok = ok && sb_str(out, object ? "}" : "]");
        free_items(items, n);
        return ok ? p : NULL;
    fail:
        free_items(items, n);
        return NULL;
    }
    if (*p == '"') {
        const char *end = scan_string(p);
        return end && sb_str(out, "string") ? end : NULL;
    }
    if (strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0)
        return sb_str(out, "boolean") ? p + (*p == 't' ? 4 : 5) : NULL;
    if (strncmp(p, "null", 4) == 0) return sb_str(out, "null") ? p + 4 : NULL;
    if (*p == '-' || (*p >= '0' && *p <= '9')) {
        while (*p && strchr("+-0123456789.eE", *p)) p++;
        return sb_str(out, "number") ? p : NULL;
    }
    return NULL;
}

char *json_shape(const char *json, const char *omit) {
    sbuf out = {0};
    const char *end = json ? shape(json, &out, "", omit) : NULL;
    if (!end || *ws(end) != '\0') {
        free(out.buf);
        return NULL;
    }
    return out.buf;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    sbuf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (!sb_put(&b, chunk, n)) break;
    fclose(f);
    return b.buf;
}

int has_vendor_shape(const char *body, int with_conversation) {
    const char *path = getenv("ENJO_VENDOR_BODY");
    char *fixture = read_file(path && *path ? path : "spec/vendor-request-body.json");
    if (!fixture) {
        fprintf(stderr, "    cannot read the vendor's sample body (spec/vendor-request-body.json)\n");
        return 0;
    }
    char *expected = json_shape(fixture, with_conversation ? NULL : "message.conversationId");
    char *got = json_shape(body, NULL);
    int same = expected && got && strcmp(expected, got) == 0;
    if (!same)
        fprintf(stderr,
                "    the request body %s has the structure %s, not the vendor's sample body's %s "
                "(spec/vendor-request-body.json)\n",
                body ? body : "(none)", got ? got : "(not JSON)", expected ? expected : "(?)");
    free(fixture);
    free(expected);
    free(got);
    return same;
}

/* The value of `key` in the object at p ('{'), or NULL; *end gets the end of that value. */
static const char *member_of(const char *p, const char *key, const char **end) {
    p = ws(p);
    if (*p != '{') return NULL;
    p = ws(p + 1);
    size_t k = strlen(key);
    while (*p == '"') {
        const char *kend = scan_string(p);
        if (!kend) return NULL;
        int match = (size_t)(kend - p - 2) == k && strncmp(p + 1, key, k) == 0;
        p = ws(kend);
        if (*p != ':') return NULL;
        const char *value = ws(p + 1);
        sbuf scratch = {0};
        const char *after = shape(value, &scratch, "", NULL);
        free(scratch.buf);
        if (!after) return NULL;
        if (match) {
            *end = after;
            return value;
        }
        p = ws(after);
        if (*p == ',') p = ws(p + 1);
    }
    return NULL;
}

char *logged_member(const char *log, const char *text, const char *member) {
    const char *p = ws(log);
    if (*p != '[') return NULL;
    p = ws(p + 1);
    size_t tlen = strlen(text);
    while (*p == '{') {
        sbuf scratch = {0};
        const char *after = shape(p, &scratch, "", NULL);
        free(scratch.buf);
        if (!after) return NULL;
        const char *tend = NULL, *t = member_of(p, "text", &tend);
        if (t && (size_t)(tend - t) == tlen + 2 && strncmp(t + 1, text, tlen) == 0) {
            const char *vend = NULL, *v = member_of(p, member, &vend);
            if (!v) return NULL;
            char *copy = malloc((size_t)(vend - v) + 1);
            if (!copy) return NULL;
            memcpy(copy, v, (size_t)(vend - v));
            copy[vend - v] = '\0';
            return copy;
        }
        p = ws(after);
        if (*p == ',') p = ws(p + 1);
    }
    return NULL;
}

/* Calls `visit(entry, end, ctx)` for each object of the JSON array `log`; stops when it returns
 * non-zero (and returns that). -1 when `log` is not an array of objects. */
static int each_entry(const char *log, int (*visit)(const char *, const char *, void *), void *ctx) {
    const char *p = ws(log);
    if (*p != '[') return -1;
    p = ws(p + 1);
    while (*p == '{') {
        sbuf scratch = {0};
        const char *after = shape(p, &scratch, "", NULL);
        free(scratch.buf);
        if (!after) return -1;
        int stop = visit(p, after, ctx);
        if (stop) return stop;
        p = ws(after);
        if (*p == ',') p = ws(p + 1);
    }
    return *p == ']' ? 0 : -1;
}

struct find_text {
    const char *text;
    char *found;
};

static int visit_find(const char *entry, const char *end, void *ctx) {
    struct find_text *f = ctx;
    const char *tend = NULL, *t = member_of(entry, "text", &tend);
    size_t n = strlen(f->text);
    if (!t || (size_t)(tend - t) != n + 2 || strncmp(t + 1, f->text, n) != 0) return 0;
    f->found = malloc((size_t)(end - entry) + 1);
    if (!f->found) return -1;
    memcpy(f->found, entry, (size_t)(end - entry));
    f->found[end - entry] = '\0';
    return 1;
}

char *logged_entry(const char *log, const char *text) {
    struct find_text f = {text, NULL};
    each_entry(log, visit_find, &f);
    return f.found;
}

struct count_needle {
    const char *needle;
    int count;
};

static int visit_count(const char *entry, const char *end, void *ctx) {
    struct count_needle *c = ctx;
    size_t k = strlen(c->needle), n = (size_t)(end - entry);
    for (size_t i = 0; i + k <= n; i++) {
        if (memcmp(entry + i, c->needle, k) == 0) {
            c->count++;
            break;
        }
    }
    return 0;
}

int logged_entries_with(const char *log, const char *needle) {
    struct count_needle c = {needle, 0};
    return each_entry(log, visit_count, &c) < 0 ? -1 : c.count;
}
