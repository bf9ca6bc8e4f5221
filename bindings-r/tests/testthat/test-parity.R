# The options and per-call overrides every binding has (issue 15), against the mock.

test_that("a client deadline bounds the whole call", {
  m <- mock()
  client <- test_client(m, timeout = 30, deadline = 0.3)
  inject_fault(m, "faq-bot", "delay=20000")
  err <- tryCatch(send_message(client, "faq-bot", unique_text("deadline")),
                  enjo_api_timeout_error = identity)
  expect_s3_class(err, "enjo_api_timeout_error")
  expect_match(conditionMessage(err), "deadline")
  expect_error(test_client(m, deadline = -1), "^deadline must be",
               class = "enjo_invalid_argument_error")
  expect_error(test_client(m, deadline = 0), "^deadline must be",
               class = "enjo_invalid_argument_error")
  expect_error(test_client(m, deadline = "1"), "deadline must be a single number",
               class = "enjo_invalid_argument_error")
})

test_that("per-call deadline, retry policy and retries override the client's", {
  m <- mock()
  client <- test_client(m, timeout = 30)
  inject_fault(m, "faq-bot", "delay=20000")
  expect_error(send_message(client, "faq-bot", unique_text("call-deadline"), deadline = 0.3),
               "deadline", class = "enjo_api_timeout_error")
  # a 500 is retried only under at_least_once, here asked for per call
  inject_fault(m, "echo-bot", "status=500")
  text <- unique_text("policy")
  reply <- send_message(client, "echo-bot", text, max_retries = 1, retry_policy = "at_least_once")
  expect_equal(reply$answers, text)
  expect_identical(requests_with(m, text), 2L)
  expect_error(send_message(client, "echo-bot", "x", retry_policy = "sometimes"),
               "retry_policy", class = "enjo_invalid_argument_error")
  expect_error(send_message(client, "echo-bot", "x", deadline = -1), "^deadline must be",
               class = "enjo_invalid_argument_error")
})

test_that("per-call headers reach the server, in send_message and in a conversation", {
  m <- mock()
  client <- test_client(m)
  text <- unique_text("headers")
  send_message(client, "echo-bot", text, headers = c(`X-Tenant` = "acme", `X-Trace` = "t-1"))
  logged <- logged_request(m, text)
  expect_identical(logged$headers[["x-tenant"]], "acme")
  expect_identical(logged$headers[["x-trace"]], "t-1")
  conv <- conversation(client, "echo-bot")
  text <- unique_text("conv-headers")
  conv$send(text, headers = c(`X-Tenant` = "globex"), timeout = 5)
  expect_identical(logged_request(m, text)$headers[["x-tenant"]], "globex")
  # refused before sending: no names (R), a reserved name (libenjo)
  marker <- unique_text("never-sent")
  expect_error(send_message(client, "echo-bot", marker, headers = "acme"),
               "headers must be a named character vector", class = "enjo_invalid_argument_error")
  expect_error(send_message(client, "echo-bot", marker, headers = c(Authorization = "x")),
               "Authorization", class = "enjo_invalid_argument_error")
  expect_error(conv$send(marker, headers = c(Host = "x")), "Host",
               class = "enjo_invalid_argument_error")
  expect_identical(requests_with(m, marker), 0L)
})

test_that("replies carry the server's request id", {
  reply <- send_message(test_client(), "echo-bot", unique_text("srv-id"))
  # the mock echoes the call's X-Request-Id as its own
  expect_type(reply$server_request_id, "character")
  expect_identical(reply$server_request_id, reply$request_id)
})

test_that("messages name the R argument, not libenjo's C field", {
  m <- mock()
  expect_error(test_client(m, timeout = -1), "^timeout must be",
               class = "enjo_invalid_argument_error")
  expect_error(test_client(m, rate_limit_max_wait = 1e12), "^rate_limit_max_wait must be",
               class = "enjo_invalid_argument_error")
  err <- tryCatch(send_message(test_client(m), "echo-bot", "x", timeout = -1),
                  enjo_invalid_argument_error = identity)
  expect_match(conditionMessage(err), "^timeout must be")
  expect_false(grepl("options.|_secs", conditionMessage(err)))
})

test_that("enjo_close reaches the conversations made from the client", {
  m <- mock()
  client <- test_client(m)
  conv <- conversation(client, "echo-bot")
  enjo_close(client)
  marker <- unique_text("after-close")
  err <- tryCatch(conv$send(marker), enjo_invalid_argument_error = identity)
  expect_match(conditionMessage(err), "closed")
  expect_false(err$may_have_been_sent)
  expect_identical(requests_with(m, marker), 0L)
})

test_that("a shared rate-limit store: an unreachable one is a typed error, or falls back", {
  m <- mock()
  text <- unique_text("store-down")
  down <- "redis://127.0.0.1:1/0"
  # The store holds the limiter's log: with rate limiting off there is no store to reach.
  client <- test_client(m, rate_limit = TRUE, rate_limit_store = down)
  err <- tryCatch(send_message(client, "echo-bot", text),
                  enjo_rate_limit_store_error = identity)
  expect_s3_class(err, "enjo_rate_limit_store_error")
  expect_false(err$may_have_been_sent)
  expect_identical(requests_with(m, text), 0L)
  fallback <- test_client(m, rate_limit = TRUE, rate_limit_store = down,
                          rate_limit_store_fallback = TRUE)
  expect_equal(send_message(fallback, "echo-bot", text)$answers, text)
  expect_identical(requests_with(m, text), 1L)
  expect_error(test_client(m, rate_limit_store = "redis://:hunter2@"), "^rate_limit_store: ",
               class = "enjo_invalid_argument_error")
  expect_error(test_client(m, rate_limit_store = 5), "rate_limit_store",
               class = "enjo_invalid_argument_error")
})

test_that("a file store is shared by every client naming it", {
  m <- mock()
  state <- file.path(tempfile("enjo-r-store-"), "limiter.state")
  dir.create(dirname(state))
  on.exit(unlink(dirname(state), recursive = TRUE))
  make <- function() {
    test_client(m, rate_limit = list(c(2, 600)), rate_limit_max_wait = 0,
                rate_limit_store = paste0("file:", state))
  }
  a <- make()
  b <- make()
  text <- unique_text("store-file")
  send_message(a, "echo-bot", text)
  send_message(b, "echo-bot", text)
  expect_error(send_message(a, "echo-bot", text), class = "enjo_rate_limit_error")
  expect_identical(requests_with(m, text), 2L)
  expect_true(file.exists(state))
})
