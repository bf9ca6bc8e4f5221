# A real enjo-mock server for the tests (docs/bindings.md): started with processx on a free
# loopback port, stopped by closing its stdin. The binary comes from ENJO_MOCK_BIN. Without it
# the tests that need a server are skipped, unless ENJO_REQUIRE_MOCK=1 (set by run-tests.sh),
# in which case they fail.

mock_token <- "enjo-mock-token"
.mocks <- new.env(parent = emptyenv())

mock_bin <- function() {
  bin <- Sys.getenv("ENJO_MOCK_BIN")
  if (nzchar(bin) && file.exists(bin)) return(normalizePath(bin))
  if (identical(Sys.getenv("ENJO_REQUIRE_MOCK"), "1")) {
    stop("ENJO_MOCK_BIN does not name the enjo-mock binary (", bin, ")")
  }
  NULL
}

start_mock <- function(rate_limit = "off") {
  bin <- mock_bin()
  if (is.null(bin)) testthat::skip("no enjo-mock binary (set ENJO_MOCK_BIN)")
  proc <- processx::process$new(
    bin, c("--port", "0", "--exit-on-stdin-close", "--quiet", "--rate-limit", rate_limit),
    stdin = "|", stdout = "|", stderr = NULL, cleanup = TRUE
  )
  line <- character(0)
  for (i in 1:100) {
    proc$poll_io(100)
    line <- proc$read_output_lines(1)
    if (length(line) > 0 || !proc$is_alive()) break
  }
  port <- sub("^LISTENING ", "", line)
  if (length(line) == 0 || !grepl("^[0-9]+$", port)) stop("enjo-mock did not start: ", line)
  list(process = proc, port = as.integer(port), url = paste0("http://127.0.0.1:", port))
}

# The shared server of this test run (rate limits off), started on first use.
mock <- function(rate_limit = "off") {
  key <- rate_limit
  if (is.null(.mocks[[key]])) {
    .mocks[[key]] <- start_mock(rate_limit)
    withr::defer(stop_mock(.mocks[[key]]), envir = testthat::teardown_env())
  }
  .mocks[[key]]
}

stop_mock <- function(m) {
  try(close(m$process$get_input_connection()), silent = TRUE)
  m$process$wait(5000)
  if (m$process$is_alive()) m$process$kill()
}

test_client <- function(m = mock(), ...) {
  args <- list(token = mock_token, base_url = m$url, rate_limit = FALSE, max_retries = 0L)
  extra <- list(...)
  args[names(extra)] <- extra
  do.call(enjo_client, args)
}

# One HTTP/1.1 request over a plain socket (base R cannot POST): the body of the reply.
mock_http <- function(m, method, path, body = "") {
  con <- socketConnection("127.0.0.1", m$port, blocking = TRUE, open = "r+b", timeout = 10)
  on.exit(close(con))
  bytes <- nchar(body, type = "bytes")
  request <- paste0(
    method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    "Authorization: Bearer ", mock_token, "\r\nContent-Type: application/json\r\n",
    "Content-Length: ", bytes, "\r\nConnection: close\r\n\r\n", body
  )
  writeBin(charToRaw(request), con)
  chunks <- list()
  repeat {
    chunk <- readBin(con, "raw", 65536)
    if (length(chunk) == 0) break
    chunks[[length(chunks) + 1]] <- chunk
  }
  text <- rawToChar(do.call(c, chunks))
  status <- as.integer(sub("^HTTP/1\\.[01] ([0-9]+).*", "\\1", strsplit(text, "\r\n")[[1]][1]))
  split <- regexpr("\r\n\r\n", text, fixed = TRUE)
  payload <- if (split > 0) substring(text, split + 4) else ""
  list(status = status, body = payload)
}

inject_fault <- function(m, bot_id, fault, times = 1L) {
  body <- sprintf('{"bot_id":"%s","fault":"%s","times":%d}', bot_id, fault, as.integer(times))
  res <- mock_http(m, "POST", "/_mock/faults", body)
  if (res$status >= 300) stop("fault not accepted: ", res$body)
  invisible(res)
}

# How many logged requests mention `needle` in any of their values (once per request: each
# entry also holds the body as received, which repeats the text).
requests_with <- function(m, needle) {
  log <- logged_requests(m)
  sum(vapply(log, function(entry) {
    grepl(needle, paste(unlist(entry), collapse = "\n"), fixed = TRUE)
  }, logical(1)))
}

unique_text <- local({
  n <- 0L
  function(prefix = "r-test") {
    n <<- n + 1L
    sprintf("%s-%d-%d", prefix, Sys.getpid(), n)
  }
})

# The mock's request log, parsed (each entry's `body` is the request body as received).
logged_requests <- function(m, bot_id = NULL) {
  path <- paste0("/_mock/requests", if (is.null(bot_id)) "" else paste0("?bot_id=", bot_id))
  jsonlite::fromJSON(mock_http(m, "GET", path)$body, simplifyVector = FALSE)
}

# The one logged request whose text is `text`.
logged_request <- function(m, text) {
  hits <- Filter(function(r) identical(r$text, text), logged_requests(m))
  testthat::expect_length(hits, 1)
  hits[[1]]
}

# The vendor's sample body (spec/vendor-request-body.json, see spec/vendor-request-body.md),
# from the repository: ENJO_SOURCE_DIR (set by run-tests.sh) or this file's checkout.
vendor_body <- function() {
  root <- Sys.getenv("ENJO_SOURCE_DIR", testthat::test_path("..", "..", ".."))
  path <- file.path(root, "spec", "vendor-request-body.json")
  if (!file.exists(path)) {
    if (identical(Sys.getenv("ENJO_REQUIRE_MOCK"), "1")) stop("no vendor sample body at ", path)
    testthat::skip("spec/vendor-request-body.json not found (set ENJO_SOURCE_DIR)")
  }
  jsonlite::fromJSON(path, simplifyVector = FALSE)
}

# The structure of a parsed JSON value: objects keep their keys (sorted), arrays their items,
# every other value becomes the name of its JSON type.
json_shape <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    shapes <- lapply(x, json_shape)
    if (!is.null(names(x))) shapes <- shapes[order(names(shapes))]
    return(shapes)
  }
  if (is.character(x)) "string" else if (is.logical(x)) "boolean" else "number"
}

# `body` (what the SERVER received, parsed) has the structure of the vendor's sample body: same
# keys at the same places, same JSON types, no other key; `message.conversationId` present
# exactly when `with_conversation`. Values may differ.
expect_vendor_shape <- function(body, with_conversation) {
  expected <- vendor_body()
  if (!with_conversation) expected$message$conversationId <- NULL
  testthat::expect_identical(
    json_shape(body), json_shape(expected),
    info = paste("the request body", jsonlite::toJSON(body, auto_unbox = TRUE),
                 "does not have the structure of the vendor's sample body",
                 "(spec/vendor-request-body.json)")
  )
}

# The testing kit is built in from the repository (configure adds cargo's `mock` feature); a
# package installed over a libenjo without it (an installed libenjo, `make test-dist`) has none:
# skip there, but never in the repository's own suite (ENJO_SOURCE_DIR set by run-tests.sh).
skip_without_kit <- function() {
  if (.Call(enjo:::enjo_r_mock_available)) return(invisible())
  if (nzchar(Sys.getenv("ENJO_SOURCE_DIR"))) stop("this build of enjo has no testing kit")
  testthat::skip("this build of enjo has no testing kit (libenjo without the mock feature)")
}
