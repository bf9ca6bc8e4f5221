/*
 * .Call glue between R and libenjo's C ABI (bindings-c/include/enjo.h). No Rust here: the
 * package links libenjo.a and calls the same functions a C program would.
 *
 * Memory rules (R errors longjmp, so no Rust-owned object may be live and unreachable when an R
 * allocation fails):
 *  - every R argument is converted (and R memory allocated) BEFORE calling into libenjo;
 *  - every object libenjo returns is stored at once in an external pointer whose C finalizer
 *    frees it; the pointer was allocated before the call, so storing cannot fail. If a later
 *    allocation longjmps, the garbage collector frees the object; normally it is freed
 *    explicitly as soon as its fields have been copied into R objects;
 *  - errors are never raised from C: an error comes back to R as a list (copied, then the
 *    enjo_error freed) and R code signals the condition;
 *  - R checks types and shapes only; libenjo (the Rust core) checks every value's range, with
 *    messages naming the R argument (ENJO_OPTION_NAMES_PLAIN). The glue refuses only what the
 *    C options cannot carry: a number outside its C integer type (a cast would be undefined
 *    behaviour) and a value equal to the field's "unset" sentinel (0 or negative), which libenjo
 *    would read as "the default" instead of refusing it.
 *
 * Ctrl-C: every blocking call passes libenjo an interrupt check, which libenjo calls about
 * every 100 ms on this (R's main) thread while it waits. The check asks R whether an interrupt
 * is pending, inside R_ToplevelExec so that R's longjmp stays within it and never crosses
 * libenjo's frames. libenjo then abandons the call (ENJO_ERR_INTERRUPTED), the glue frees
 * what it returned, and R code signals R's interrupt condition (R/errors.R).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R_NO_REMAP
#include <R.h>
#include <R_ext/Rdynload.h>
#include <Rinternals.h>

#include "enjo.h"

/* ------------------------------------------------------------------ helpers */

static SEXP mk_string_or_null(const char *s) {
    return s ? Rf_ScalarString(Rf_mkCharCE(s, CE_UTF8)) : R_NilValue;
}

/* A string argument already checked in R (character(1), not NA), as UTF-8; or NULL. */
static const char *utf8_arg(SEXP x) {
    if (Rf_isNull(x)) return NULL;
    return Rf_translateCharUTF8(STRING_ELT(x, 0));
}

/* R_CheckUserInterrupt longjmps when an interrupt is pending: only ever call it through
 * R_ToplevelExec. */
static void check_interrupt_fn(void *unused) {
    (void)unused;
    R_CheckUserInterrupt();
}

/* libenjo's interrupt_check: non-zero when the user pressed Ctrl-C. R_ToplevelExec returns
 * FALSE when the function it ran was ended by a jump: here, only by a pending interrupt. */
static int r_interrupt_pending(void *unused) {
    (void)unused;
    return R_ToplevelExec(check_interrupt_fn, NULL) == FALSE;
}

static void free_client(SEXP p) {
    enjo_client *c = (enjo_client *)R_ExternalPtrAddr(p);
    if (c) {
        enjo_client_free(c);
        R_ClearExternalPtr(p);
    }
}

static void free_conversation(SEXP p) {
    enjo_conversation *c = (enjo_conversation *)R_ExternalPtrAddr(p);
    if (c) {
        enjo_conversation_free(c);
        R_ClearExternalPtr(p);
    }
}

static void free_response(SEXP p) {
    enjo_response *r = (enjo_response *)R_ExternalPtrAddr(p);
    if (r) {
        enjo_response_free(r);
        R_ClearExternalPtr(p);
    }
}

static void free_error(SEXP p) {
    enjo_error *e = (enjo_error *)R_ExternalPtrAddr(p);
    if (e) {
        enjo_error_free(e);
        R_ClearExternalPtr(p);
    }
}

/* An empty external pointer with a finalizer: a slot for a libenjo object. */
static SEXP new_slot(R_CFinalizer_t finalizer) {
    SEXP p = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue));
    R_RegisterCFinalizerEx(p, finalizer, TRUE);
    UNPROTECT(1);
    return p;
}

static SEXP named_list(int n, const char **names) {
    SEXP list = PROTECT(Rf_allocVector(VECSXP, n));
    SEXP nms = PROTECT(Rf_allocVector(STRSXP, n));
    for (int i = 0; i < n; i++) SET_STRING_ELT(nms, i, Rf_mkChar(names[i]));
    Rf_setAttrib(list, R_NamesSymbol, nms);
    UNPROTECT(2);
    return list;
}

/* list(ok = TRUE, value = value) */
static SEXP ok_result(SEXP value) {
    PROTECT(value);
    const char *names[] = {"ok", "value"};
    SEXP out = PROTECT(named_list(2, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarLogical(1));
    SET_VECTOR_ELT(out, 1, value);
    UNPROTECT(2);
    return out;
}

/* The fields of the error list that R code turns into a condition (errors.R). */
static const char *ERROR_FIELDS[] = {"status_name", "message", "display", "http_status", "code",
                                     "retry_after", "request_id", "body", "may_have_been_sent",
                                     "server_request_id"};
#define N_ERROR_FIELDS 10

/* list(ok = FALSE, error = err); `err` is protected by the caller. */
static SEXP failed_result(SEXP err) {
    const char *outer[] = {"ok", "error"};
    SEXP out = PROTECT(named_list(2, outer));
    SET_VECTOR_ELT(out, 0, Rf_ScalarLogical(0));
    SET_VECTOR_ELT(out, 1, err);
    UNPROTECT(1);
    return out;
}

/*
 * list(ok = FALSE, error = list(status_name, message, display, http_status, code, retry_after,
 * request_id, body, may_have_been_sent, server_request_id)), copied from the error held by `slot`, which is then
 * freed.
 */
static SEXP error_result(enjo_status status, SEXP slot) {
    const enjo_error *e = (const enjo_error *)R_ExternalPtrAddr(slot);
    SEXP err = PROTECT(named_list(N_ERROR_FIELDS, ERROR_FIELDS));
    SET_VECTOR_ELT(err, 0, Rf_mkString(enjo_status_name(status)));
    const char *message = e ? enjo_error_message(e) : NULL;
    SET_VECTOR_ELT(err, 1, mk_string_or_null(message ? message : enjo_status_name(status)));
    SET_VECTOR_ELT(err, 2, mk_string_or_null(e ? enjo_error_display(e) : NULL));
    int http = e ? enjo_error_http_status(e) : 0;
    SET_VECTOR_ELT(err, 3, http > 0 ? Rf_ScalarInteger(http) : R_NilValue);
    SET_VECTOR_ELT(err, 4, mk_string_or_null(e ? enjo_error_code(e) : NULL));
    double retry = e ? enjo_error_retry_after(e) : NAN;
    SET_VECTOR_ELT(err, 5, isnan(retry) ? R_NilValue : Rf_ScalarReal(retry));
    SET_VECTOR_ELT(err, 6, mk_string_or_null(e ? enjo_error_request_id(e) : NULL));
    SET_VECTOR_ELT(err, 7, mk_string_or_null(e ? enjo_error_body(e) : NULL));
    SET_VECTOR_ELT(err, 8, Rf_ScalarLogical(e ? enjo_error_may_have_been_sent(e) : 0));
    SET_VECTOR_ELT(err, 9, mk_string_or_null(e ? enjo_error_server_request_id(e) : NULL));
    free_error(slot);
    SEXP out = failed_result(err);
    UNPROTECT(1);
    return out;
}

/* list(ok = FALSE, error = ...) for an argument the glue itself refuses (nothing was called). */
static SEXP glue_invalid(const char *message) {
    SEXP err = PROTECT(named_list(N_ERROR_FIELDS, ERROR_FIELDS));
    SET_VECTOR_ELT(err, 0, Rf_mkString(enjo_status_name(ENJO_ERR_INVALID_ARGUMENT)));
    SET_VECTOR_ELT(err, 1, Rf_mkString(message));
    SET_VECTOR_ELT(err, 2, Rf_mkString(message));
    SET_VECTOR_ELT(err, 8, Rf_ScalarLogical(0));
    SEXP out = failed_result(err);
    UNPROTECT(1);
    return out;
}

/* A whole number from `min` to `max` (NA, NaN, fractions and anything out of range fail). */
static bool whole_in(double v, double min, double max) {
    return !ISNAN(v) && v >= min && v <= max && v == floor(v);
}

/* A double scalar argument (R code always passes doubles); NA when it is not one. */
static double real_arg(SEXP x) {
    return (TYPEOF(x) == REALSXP && XLENGTH(x) == 1) ? REAL(x)[0] : NA_REAL;
}

/* The message for a number the C options cannot carry (see the memory rules above). */
static const char *uncarried(char *buf, size_t size, const char *name, const char *what, double v) {
    snprintf(buf, size, "%s must be %s (got %g)", name, what, v);
    return buf;
}

/* Per-call options: libenjo's defaults, the interrupt check, plain option names, and the R
 * arguments that are not NULL. `headers` gets R-allocated entries (freed by R after the .Call).
 * Returns NULL, or the message of a value the C options cannot carry. */
static const char *fill_send_options(enjo_send_options *so, SEXP timeout, SEXP max_retries,
                                     SEXP retry_policy, SEXP deadline, SEXP header_names,
                                     SEXP header_values, char *buf, size_t size) {
    enjo_send_options_init(so);
    so->interrupt_check = r_interrupt_pending;
    so->interrupt_user_data = NULL;
    so->option_names = ENJO_OPTION_NAMES_PLAIN;
    if (!Rf_isNull(timeout)) {
        double t = real_arg(timeout);
        if (t == 0) return uncarried(buf, size, "timeout", "a number of seconds above 0", t);
        so->timeout_secs = t; /* NaN, negative, over a year: refused by libenjo */
    }
    if (!Rf_isNull(deadline)) {
        double d = real_arg(deadline);
        if (d == 0) return uncarried(buf, size, "deadline", "a number of seconds above 0", d);
        so->deadline_secs = d;
    }
    if (!Rf_isNull(max_retries)) {
        double r = real_arg(max_retries);
        if (!whole_in(r, 0, (double)INT32_MAX))
            return uncarried(buf, size, "max_retries",
                             "a whole number from 0 to 2147483647 per call", r);
        so->max_retries = (int32_t)r;
    }
    if (!Rf_isNull(retry_policy)) so->retry_policy = Rf_asInteger(retry_policy);
    R_xlen_t n = Rf_isNull(header_names) ? 0 : XLENGTH(header_names);
    if (n > 0) {
        enjo_header *headers = (enjo_header *)R_alloc((size_t)n, sizeof(enjo_header));
        for (R_xlen_t i = 0; i < n; i++) {
            headers[i].name = Rf_translateCharUTF8(STRING_ELT(header_names, i));
            headers[i].value = Rf_translateCharUTF8(STRING_ELT(header_values, i));
        }
        so->headers = headers;
        so->header_count = (size_t)n;
    }
    return NULL;
}

/* The response held by `slot` as an R list; the response is then freed. */
static SEXP response_value(SEXP slot) {
    const enjo_response *r = (const enjo_response *)R_ExternalPtrAddr(slot);
    size_t n = enjo_response_source_count(r);
    if (n > (size_t)R_XLEN_T_MAX) n = 0;

    const char *src_names[] = {"type", "name", "score", "url"};
    SEXP sources = PROTECT(named_list(4, src_names));
    SEXP type = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    SEXP name = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    SEXP score = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)n));
    SEXP url = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        const char *t = enjo_response_source_type(r, i);
        const char *nm = enjo_response_source_name(r, i);
        const char *u = enjo_response_source_url(r, i);
        double s = enjo_response_source_score(r, i);
        SET_STRING_ELT(type, (R_xlen_t)i, t ? Rf_mkCharCE(t, CE_UTF8) : NA_STRING);
        SET_STRING_ELT(name, (R_xlen_t)i, nm ? Rf_mkCharCE(nm, CE_UTF8) : NA_STRING);
        SET_STRING_ELT(url, (R_xlen_t)i, u ? Rf_mkCharCE(u, CE_UTF8) : NA_STRING);
        REAL(score)[i] = isnan(s) ? NA_REAL : s;
    }
    SET_VECTOR_ELT(sources, 0, type);
    SET_VECTOR_ELT(sources, 1, name);
    SET_VECTOR_ELT(sources, 2, score);
    SET_VECTOR_ELT(sources, 3, url);
    UNPROTECT(4);

    SEXP ticket = R_NilValue;
    if (enjo_response_has_ticket(r)) {
        const char *t_names[] = {"id", "url", "type", "status", "priority", "description",
                                 "created_date", "last_modified_date", "case_number", "raw"};
        ticket = PROTECT(named_list(10, t_names));
        SET_VECTOR_ELT(ticket, 0, mk_string_or_null(enjo_response_ticket_id(r)));
        SET_VECTOR_ELT(ticket, 1, mk_string_or_null(enjo_response_ticket_url(r)));
        SET_VECTOR_ELT(ticket, 2, mk_string_or_null(enjo_response_ticket_type(r)));
        SET_VECTOR_ELT(ticket, 3, mk_string_or_null(enjo_response_ticket_status(r)));
        SET_VECTOR_ELT(ticket, 4, mk_string_or_null(enjo_response_ticket_priority(r)));
        SET_VECTOR_ELT(ticket, 5, mk_string_or_null(enjo_response_ticket_description(r)));
        SET_VECTOR_ELT(ticket, 6, mk_string_or_null(enjo_response_ticket_created_date(r)));
        SET_VECTOR_ELT(ticket, 7, mk_string_or_null(enjo_response_ticket_last_modified_date(r)));
        SET_VECTOR_ELT(ticket, 8, mk_string_or_null(enjo_response_ticket_case_number(r)));
        SET_VECTOR_ELT(ticket, 9, mk_string_or_null(enjo_response_ticket_json(r)));
    } else {
        PROTECT(ticket);
    }

    const char *names[] = {"answers", "sources",    "conversation_id",
                           "ticket",  "raw",        "request_id",
                           "server_request_id"};
    SEXP out = PROTECT(named_list(7, names));
    SET_VECTOR_ELT(out, 0, mk_string_or_null(enjo_response_answers(r)));
    SET_VECTOR_ELT(out, 1, sources);
    SET_VECTOR_ELT(out, 2, mk_string_or_null(enjo_response_conversation_id(r)));
    SET_VECTOR_ELT(out, 3, ticket);
    SET_VECTOR_ELT(out, 4, mk_string_or_null(enjo_response_json(r)));
    SET_VECTOR_ELT(out, 5, mk_string_or_null(enjo_response_request_id(r)));
    SET_VECTOR_ELT(out, 6, mk_string_or_null(enjo_response_server_request_id(r)));
    free_response(slot);
    UNPROTECT(3);
    return out;
}

static enjo_client *client_of(SEXP ptr) {
    if (TYPEOF(ptr) != EXTPTRSXP) return NULL;
    return (enjo_client *)R_ExternalPtrAddr(ptr);
}

/* ------------------------------------------------------------------ entry points */

SEXP enjo_r_version(void) { return Rf_mkString(enjo_version()); }

SEXP enjo_r_client_new(SEXP token, SEXP base_url, SEXP timeout, SEXP connect_timeout,
                       SEXP max_retries, SEXP retry_policy, SEXP rate_limit, SEXP quota_requests,
                       SEXP quota_windows, SEXP rate_limit_max_wait, SEXP deadline,
                       SEXP user_agent, SEXP proxy, SEXP allow_insecure_http,
                       SEXP max_response_bytes, SEXP r_version, SEXP rate_limit_store,
                       SEXP rate_limit_key, SEXP rate_limit_store_fallback) {
    /* Conversions first (they may allocate), then one call into libenjo. */
    char buf[256];
    enjo_options opts;
    enjo_options_init(&opts);
    opts.option_names = ENJO_OPTION_NAMES_PLAIN;
    opts.language = "r";
    opts.language_version = utf8_arg(r_version);
    opts.token = utf8_arg(token);
    opts.base_url = utf8_arg(base_url);
    opts.timeout_secs = real_arg(timeout); /* every range: checked by libenjo */
    opts.connect_timeout_secs = real_arg(connect_timeout);
    double retries = real_arg(max_retries);
    if (!whole_in(retries, 0, (double)UINT32_MAX))
        return glue_invalid(uncarried(buf, sizeof buf, "max_retries",
                                      "a whole number from 0 to 4294967295", retries));
    opts.max_retries = (uint32_t)retries;
    opts.retry_policy = Rf_asInteger(retry_policy); /* NA: refused by libenjo */
    opts.rate_limit = Rf_asLogical(rate_limit) == 1;
    R_xlen_t nq = Rf_isNull(quota_requests) ? 0 : XLENGTH(quota_requests);
    if (nq > 0 && (TYPEOF(quota_requests) != REALSXP || TYPEOF(quota_windows) != REALSXP ||
                   XLENGTH(quota_windows) != nq))
        return glue_invalid("rate_limit: quotas of c(requests, window_seconds)");
    enjo_quota *quotas = NULL;
    if (nq > 0) {
        quotas = (enjo_quota *)R_alloc((size_t)nq, sizeof(enjo_quota)); /* freed by R */
        for (R_xlen_t i = 0; i < nq; i++) {
            double requests = REAL(quota_requests)[i];
            if (!whole_in(requests, 0, (double)UINT32_MAX))
                return glue_invalid(uncarried(buf, sizeof buf, "rate_limit requests",
                                              "whole numbers from 1 to 4294967295", requests));
            quotas[i].requests = (uint32_t)requests; /* 0: refused by libenjo */
            quotas[i].window_secs = REAL(quota_windows)[i];
        }
    }
    opts.rate_limit_quotas = quotas;
    opts.rate_limit_quota_count = (size_t)nq; /* over ENJO_MAX_QUOTAS: refused by libenjo */
    if (!Rf_isNull(rate_limit_max_wait)) {
        double wait = real_arg(rate_limit_max_wait);
        if (wait < 0 || isinf(wait))
            return glue_invalid(uncarried(buf, sizeof buf, "rate_limit_max_wait",
                                          "a number of seconds from 0 to a year", wait));
        opts.rate_limit_max_wait_secs = wait; /* NaN: refused by libenjo */
    }
    if (!Rf_isNull(deadline)) {
        double d = real_arg(deadline);
        if (d == 0)
            return glue_invalid(
                uncarried(buf, sizeof buf, "deadline", "a number of seconds above 0", d));
        opts.deadline_secs = d;
    }
    opts.user_agent = utf8_arg(user_agent);
    opts.proxy = utf8_arg(proxy);
    opts.allow_insecure_http = Rf_asLogical(allow_insecure_http) == 1;
    opts.rate_limit_store = utf8_arg(rate_limit_store); /* parsed by libenjo */
    opts.rate_limit_key = utf8_arg(rate_limit_key);
    opts.rate_limit_store_fallback = Rf_asLogical(rate_limit_store_fallback) == 1;
    if (!Rf_isNull(max_response_bytes)) {
        double max = real_arg(max_response_bytes);
        double limit = 9007199254740992.0; /* 2^53: exact in a double */
        if ((double)SIZE_MAX < limit) limit = (double)SIZE_MAX;
        if (!whole_in(max, 1, limit))
            return glue_invalid(uncarried(buf, sizeof buf, "max_response_bytes",
                                          "a whole number of bytes from 1 to 2^53", max));
        opts.max_response_bytes = (size_t)max;
    }

    SEXP client_slot = PROTECT(new_slot(free_client));
    SEXP error_slot = PROTECT(new_slot(free_error));
    enjo_client *client = NULL;
    enjo_error *error = NULL;
    enjo_status st = enjo_client_new(&opts, &client, &error);
    R_SetExternalPtrAddr(client_slot, client);
    R_SetExternalPtrAddr(error_slot, error);
    SEXP out = st == ENJO_OK ? ok_result(client_slot) : error_result(st, error_slot);
    UNPROTECT(2);
    return out;
}

SEXP enjo_r_client_base_url(SEXP client) {
    enjo_client *c = client_of(client);
    return c ? mk_string_or_null(enjo_client_base_url(c)) : R_NilValue;
}

SEXP enjo_r_client_valid(SEXP client) { return Rf_ScalarLogical(client_of(client) != NULL); }

SEXP enjo_r_client_close(SEXP client) {
    /* Closed first: conversations made from the client see it too. */
    if (TYPEOF(client) == EXTPTRSXP) enjo_client_close(client_of(client));
    if (TYPEOF(client) == EXTPTRSXP) free_client(client);
    return R_NilValue;
}

SEXP enjo_r_send(SEXP client, SEXP bot_id, SEXP text, SEXP conversation_id, SEXP timeout,
                 SEXP max_retries, SEXP retry_policy, SEXP deadline, SEXP header_names,
                 SEXP header_values) {
    char buf[256];
    enjo_send_options so;
    const char *bad = fill_send_options(&so, timeout, max_retries, retry_policy, deadline,
                                        header_names, header_values, buf, sizeof buf);
    if (bad) return glue_invalid(bad);
    so.conversation_id = utf8_arg(conversation_id);
    const char *bot = utf8_arg(bot_id);
    const char *txt = utf8_arg(text);
    SEXP response_slot = PROTECT(new_slot(free_response));
    SEXP error_slot = PROTECT(new_slot(free_error));
    enjo_response *response = NULL;
    enjo_error *error = NULL;
    enjo_status st = enjo_send_message_with(client_of(client), bot, txt, &so, &response, &error);
    R_SetExternalPtrAddr(response_slot, response);
    R_SetExternalPtrAddr(error_slot, error);
    SEXP out = st == ENJO_OK ? ok_result(response_value(response_slot))
                             : error_result(st, error_slot);
    UNPROTECT(2);
    return out;
}

SEXP enjo_r_conversation_new(SEXP client, SEXP bot_id, SEXP conversation_id) {
    const char *bot = utf8_arg(bot_id);
    const char *id = utf8_arg(conversation_id);
    SEXP conv_slot = PROTECT(new_slot(free_conversation));
    SEXP error_slot = PROTECT(new_slot(free_error));
    enjo_conversation *conv = NULL;
    enjo_error *error = NULL;
    enjo_status st = enjo_conversation_new(client_of(client), bot, id, &conv, &error);
    R_SetExternalPtrAddr(conv_slot, conv);
    R_SetExternalPtrAddr(error_slot, error);
    SEXP out = st == ENJO_OK ? ok_result(conv_slot) : error_result(st, error_slot);
    UNPROTECT(2);
    return out;
}

static enjo_conversation *conversation_of(SEXP ptr) {
    if (TYPEOF(ptr) != EXTPTRSXP) return NULL;
    return (enjo_conversation *)R_ExternalPtrAddr(ptr);
}

SEXP enjo_r_conversation_send(SEXP conversation, SEXP text, SEXP timeout, SEXP max_retries,
                              SEXP retry_policy, SEXP deadline, SEXP header_names,
                              SEXP header_values) {
    char buf[256];
    enjo_send_options so;
    const char *bad = fill_send_options(&so, timeout, max_retries, retry_policy, deadline,
                                        header_names, header_values, buf, sizeof buf);
    if (bad) return glue_invalid(bad);
    const char *txt = utf8_arg(text);
    SEXP response_slot = PROTECT(new_slot(free_response));
    SEXP error_slot = PROTECT(new_slot(free_error));
    enjo_response *response = NULL;
    enjo_error *error = NULL;
    enjo_status st = enjo_conversation_send_with(conversation_of(conversation), txt, &so,
                                                 &response, &error);
    R_SetExternalPtrAddr(response_slot, response);
    R_SetExternalPtrAddr(error_slot, error);
    SEXP out = st == ENJO_OK ? ok_result(response_value(response_slot))
                             : error_result(st, error_slot);
    UNPROTECT(2);
    return out;
}

static void free_string(SEXP p) {
    char *s = (char *)R_ExternalPtrAddr(p);
    if (s) {
        enjo_string_free(s);
        R_ClearExternalPtr(p);
    }
}

SEXP enjo_r_conversation_id(SEXP conversation) {
    enjo_conversation *c = conversation_of(conversation);
    if (c == NULL) return R_NilValue;
    SEXP slot = PROTECT(new_slot(free_string));
    char *id = enjo_conversation_id(c);
    R_SetExternalPtrAddr(slot, id);
    SEXP out = PROTECT(mk_string_or_null(id)); /* may longjmp: the slot frees the id then */
    free_string(slot);
    UNPROTECT(2);
    return out;
}

/* ------------------------------------------------------------------ registration */

/* The testing kit (src/mock_r.c). */
SEXP enjo_r_mock_start(SEXP rate_limit, SEXP bots_file);
SEXP enjo_r_mock_url(SEXP ptr);
SEXP enjo_r_mock_token(SEXP ptr);
SEXP enjo_r_mock_requests(SEXP ptr);
SEXP enjo_r_mock_tickets(SEXP ptr);
SEXP enjo_r_mock_stop(SEXP ptr);
SEXP enjo_r_mock_available(void);

static const R_CallMethodDef call_methods[] = {
    {"enjo_r_mock_start", (DL_FUNC)&enjo_r_mock_start, 2},
    {"enjo_r_mock_url", (DL_FUNC)&enjo_r_mock_url, 1},
    {"enjo_r_mock_token", (DL_FUNC)&enjo_r_mock_token, 1},
    {"enjo_r_mock_requests", (DL_FUNC)&enjo_r_mock_requests, 1},
    {"enjo_r_mock_tickets", (DL_FUNC)&enjo_r_mock_tickets, 1},
    {"enjo_r_mock_stop", (DL_FUNC)&enjo_r_mock_stop, 1},
    {"enjo_r_mock_available", (DL_FUNC)&enjo_r_mock_available, 0},
    {"enjo_r_version", (DL_FUNC)&enjo_r_version, 0},
    {"enjo_r_client_new", (DL_FUNC)&enjo_r_client_new, 19},
    {"enjo_r_client_base_url", (DL_FUNC)&enjo_r_client_base_url, 1},
    {"enjo_r_client_valid", (DL_FUNC)&enjo_r_client_valid, 1},
    {"enjo_r_client_close", (DL_FUNC)&enjo_r_client_close, 1},
    {"enjo_r_send", (DL_FUNC)&enjo_r_send, 10},
    {"enjo_r_conversation_new", (DL_FUNC)&enjo_r_conversation_new, 3},
    {"enjo_r_conversation_send", (DL_FUNC)&enjo_r_conversation_send, 8},
    {"enjo_r_conversation_id", (DL_FUNC)&enjo_r_conversation_id, 1},
    {NULL, NULL, 0}};

void R_init_enjo(DllInfo *dll) {
    R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    R_forceSymbols(dll, TRUE);
}
