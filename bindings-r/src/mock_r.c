/*
 * .Call glue of the testing kit (R/mock.R: with_mock()): libenjo's enjo_mock_* functions,
 * present when libenjo was built with the cargo feature `mock` (configure does, and then
 * defines ENJO_MOCK). Without them every function here returns NULL and R says what to do.
 * The server lives in an external pointer whose finalizer stops it.
 */
#define R_NO_REMAP
#include <R.h>
#include <R_ext/Rdynload.h>
#include <Rinternals.h>

#include "enjo.h"

#ifdef ENJO_MOCK
static void mock_finalizer(SEXP ptr) {
    enjo_mock *mock = (enjo_mock *)R_ExternalPtrAddr(ptr);
    if (mock != NULL) {
        R_ClearExternalPtr(ptr);
        enjo_mock_stop(mock);
    }
}

static enjo_mock *mock_of(SEXP ptr) {
    return TYPEOF(ptr) == EXTPTRSXP ? (enjo_mock *)R_ExternalPtrAddr(ptr) : NULL;
}

static const char *opt_string(SEXP value) {
    return (TYPEOF(value) == STRSXP && XLENGTH(value) == 1 && STRING_ELT(value, 0) != NA_STRING)
               ? CHAR(STRING_ELT(value, 0))
               : NULL;
}

/* list(ok = TRUE, value = <external pointer>) or list(ok = FALSE, message = "..."). */
SEXP enjo_r_mock_start(SEXP rate_limit, SEXP bots_file) {
    SEXP ptr = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue));
    R_RegisterCFinalizerEx(ptr, mock_finalizer, TRUE);
    SEXP out = PROTECT(Rf_allocVector(VECSXP, 2));
    enjo_mock *mock = NULL;
    enjo_error *error = NULL;
    enjo_status status = enjo_mock_start(opt_string(rate_limit), opt_string(bots_file), &mock, &error);
    if (status == ENJO_OK) {
        R_SetExternalPtrAddr(ptr, mock);
        SET_VECTOR_ELT(out, 0, ptr);
        SET_VECTOR_ELT(out, 1, R_NilValue);
    } else {
        const char *message = error ? enjo_error_message(error) : enjo_status_name(status);
        SEXP text = PROTECT(Rf_mkString(message ? message : "cannot start the mock server"));
        enjo_error_free(error);
        SET_VECTOR_ELT(out, 0, R_NilValue);
        SET_VECTOR_ELT(out, 1, text);
        UNPROTECT(1);
    }
    UNPROTECT(2);
    return out;
}

SEXP enjo_r_mock_url(SEXP ptr) {
    enjo_mock *mock = mock_of(ptr);
    return mock ? Rf_mkString(enjo_mock_url(mock)) : R_NilValue;
}

SEXP enjo_r_mock_token(SEXP ptr) {
    enjo_mock *mock = mock_of(ptr);
    return mock ? Rf_mkString(enjo_mock_token(mock)) : R_NilValue;
}

static SEXP owned_string(char *s) {
    if (s == NULL) return R_NilValue;
    /* Only an out-of-memory longjmp in these two allocations could leak `s` (a test aid). */
    SEXP out = PROTECT(Rf_allocVector(STRSXP, 1));
    SET_STRING_ELT(out, 0, Rf_mkCharCE(s, CE_UTF8));
    enjo_string_free(s);
    UNPROTECT(1);
    return out;
}

SEXP enjo_r_mock_requests(SEXP ptr) {
    enjo_mock *mock = mock_of(ptr);
    return mock ? owned_string(enjo_mock_requests_json(mock)) : R_NilValue;
}

SEXP enjo_r_mock_tickets(SEXP ptr) {
    enjo_mock *mock = mock_of(ptr);
    return mock ? owned_string(enjo_mock_tickets_json(mock)) : R_NilValue;
}

SEXP enjo_r_mock_stop(SEXP ptr) {
    if (TYPEOF(ptr) == EXTPTRSXP) mock_finalizer(ptr);
    return R_NilValue;
}

SEXP enjo_r_mock_available(void) { return Rf_ScalarLogical(TRUE); }
#else
SEXP enjo_r_mock_start(SEXP rate_limit, SEXP bots_file) {
    (void)rate_limit;
    (void)bots_file;
    return R_NilValue;
}
SEXP enjo_r_mock_url(SEXP ptr) { (void)ptr; return R_NilValue; }
SEXP enjo_r_mock_token(SEXP ptr) { (void)ptr; return R_NilValue; }
SEXP enjo_r_mock_requests(SEXP ptr) { (void)ptr; return R_NilValue; }
SEXP enjo_r_mock_tickets(SEXP ptr) { (void)ptr; return R_NilValue; }
SEXP enjo_r_mock_stop(SEXP ptr) { (void)ptr; return R_NilValue; }
SEXP enjo_r_mock_available(void) { return Rf_ScalarLogical(FALSE); }
#endif
