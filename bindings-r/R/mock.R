# The testing kit: the Enjo-compatible mock server inside the package (libenjo's enjo_mock_*,
# src/mock_r.c), started in this R process on a free loopback port, for users' own tests.

.mock_state <- new.env(parent = emptyenv())

mock_rate_limit_spec <- function(rate_limit) {
  if (isTRUE(rate_limit)) return("documented")
  if (isFALSE(rate_limit) || is.null(rate_limit)) return("off")
  if (!is.list(rate_limit) || length(rate_limit) == 0) {
    stop("rate_limit must be TRUE, FALSE or a list of c(requests, window_seconds), ",
         "e.g. list(c(5, 0.2), c(10, 1))", call. = FALSE)
  }
  parts <- vapply(rate_limit, function(q) {
    if (!is.numeric(q) || length(q) != 2 || anyNA(q) || q[[1]] != round(q[[1]]) || q[[1]] < 1 ||
        q[[2]] <= 0) {
      stop("each rate_limit quota is c(requests, window_seconds) with a whole number of ",
           "requests, e.g. c(5, 0.2)", call. = FALSE)
    }
    sprintf("%d/%.17gs", as.integer(q[[1]]), q[[2]])
  }, character(1))
  paste(parts, collapse = ",")
}

#' Run code against an in-process Enjo mock server
#'
#' Starts the SDK's Enjo-compatible mock server on a free loopback port (a thread of this R
#' process; no other program needed), points `ENJO_BASE_URL` and `ENJO_API_TOKEN` at it while
#' `code` runs, then stops it and restores the environment. Inside `code`, `mock_requests()`
#' and `mock_tickets()` tell what the server received and created.
#'
#' @param code The code to run (evaluated in the caller's environment).
#' @param rate_limit `FALSE` (no limit, the default), `TRUE` (the real API's limits), or
#'   scaled quotas such as `list(c(5, 0.2), c(10, 1))` (requests per window in seconds).
#' @param bots_file `NULL` for the built-in bots, or a TOML file of bots.
#' @return The value of `code`.
#' @export
with_mock <- function(code, rate_limit = FALSE, bots_file = NULL) {
  if (!.Call(enjo_r_mock_available)) {
    stop("this build of enjo has no testing kit: reinstall it from the repository ",
         "(its configure builds libenjo with `cargo build -p enjo-c --features mock`), or ",
         "point ENJO_LIBDIR at a libenjo built that way", call. = FALSE)
  }
  spec <- mock_rate_limit_spec(rate_limit)
  if (!is.null(bots_file) && (!is.character(bots_file) || length(bots_file) != 1)) {
    stop("bots_file must be NULL or one path", call. = FALSE)
  }
  started <- .Call(enjo_r_mock_start, spec, bots_file)
  if (is.null(started[[1]])) stop(started[[2]], call. = FALSE)
  ptr <- started[[1]]
  previous <- .mock_state$current
  saved <- Sys.getenv(c("ENJO_BASE_URL", "ENJO_API_TOKEN"), unset = NA)
  on.exit({
    .Call(enjo_r_mock_stop, ptr)
    .mock_state$current <- previous
    for (name in names(saved)) {
      if (is.na(saved[[name]])) Sys.unsetenv(name) else do.call(Sys.setenv, as.list(saved[name]))
    }
  }, add = TRUE)
  .mock_state$current <- ptr
  Sys.setenv(ENJO_BASE_URL = .Call(enjo_r_mock_url, ptr),
             ENJO_API_TOKEN = .Call(enjo_r_mock_token, ptr))
  code
}

current_mock <- function() {
  ptr <- .mock_state$current
  if (is.null(ptr)) stop("no mock server is running: call this inside with_mock()", call. = FALSE)
  ptr
}

mock_json <- function(json) {
  if (!requireNamespace("jsonlite", quietly = TRUE)) {
    stop("mock_requests() and mock_tickets() need the jsonlite package", call. = FALSE)
  }
  jsonlite::fromJSON(json, simplifyVector = FALSE)
}

#' What the mock server of `with_mock()` received and created
#'
#' `mock_requests()`: the requests received, oldest first, each a list with `bot_id`,
#' `conversation_id`, `text`, `body` (as sent), `status`, `fault`, `headers` (authorization
#' redacted)... `mock_tickets()`: the tickets created, each a list with `bot_id`, `platform`,
#' `conversation_id` and `ticket`. Both need the jsonlite package.
#'
#' @return A list.
#' @export
mock_requests <- function() mock_json(.Call(enjo_r_mock_requests, current_mock()))

#' @rdname mock_requests
#' @export
mock_tickets <- function() mock_json(.Call(enjo_r_mock_tickets, current_mock()))
