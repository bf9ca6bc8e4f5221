test_that("a client prints without its token", {
  m <- mock()
  secret <- "sk-R-secret-never-printed-42"
  client <- enjo_client(token = secret, base_url = m$url, rate_limit = FALSE)
  shown <- c(capture.output(print(client)), format(client), capture.output(str(client)))
  expect_false(any(grepl(secret, shown, fixed = TRUE)))
  expect_true(any(grepl(m$url, shown, fixed = TRUE)))
  expect_s3_class(client, "enjo_client")
  expect_identical(typeof(client), "externalptr")
  expect_false(any(grepl(secret, unlist(attributes(client)), fixed = TRUE)))
  expect_match(enjo_version(), "^[0-9]+\\.[0-9]+\\.[0-9]+")
})

test_that("a client restored from a saved session is refused clearly", {
  restored <- unserialize(serialize(test_client(), NULL))
  expect_match(format(restored), "closed")
  expect_error(send_message(restored, "echo-bot", "x"), "saved session",
               class = "enjo_invalid_argument_error")
})

test_that("a wrong token is an authentication error that never shows the token", {
  m <- mock()
  secret <- "sk-R-wrong-token-77"
  client <- enjo_client(token = secret, base_url = m$url, rate_limit = FALSE)
  err <- tryCatch(send_message(client, "faq-bot", "hello"), enjo_authentication_error = identity)
  expect_s3_class(err, "enjo_authentication_error")
  expect_identical(err$status, 401L)
  expect_false(grepl(secret, conditionMessage(err), fixed = TRUE))
  expect_false(grepl(secret, paste(err$body, collapse = ""), fixed = TRUE))
  expect_null(err$call)
})

test_that("the token and base URL come from the environment", {
  m <- mock()
  withr::local_envvar(ENJO_API_TOKEN = mock_token, ENJO_BASE_URL = m$url)
  client <- enjo_client(rate_limit = FALSE)
  expect_identical(attr(client, "base_url"), m$url)
  expect_equal(send_message(client, "echo-bot", "from env")$answers, "from env")
  # libenjo decides the default, not R: the argument's default is NULL
  expect_null(formals(enjo_client)$base_url)
  withr::local_envvar(ENJO_BASE_URL = paste0(m$url, "/from-env-prefix"))
  expect_identical(attr(enjo_client(rate_limit = FALSE), "base_url"),
                   paste0(m$url, "/from-env-prefix"))
  expect_identical(attr(enjo_client(rate_limit = FALSE, base_url = ""), "base_url"),
                   paste0(m$url, "/from-env-prefix"))
  # an explicit base_url wins over the environment
  expect_identical(attr(enjo_client(rate_limit = FALSE, base_url = m$url), "base_url"), m$url)
  # unset or blank: the vendor's URL
  withr::local_envvar(ENJO_BASE_URL = NA)
  expect_identical(attr(enjo_client(rate_limit = FALSE), "base_url"), "https://api.enjo.ai")
  withr::local_envvar(ENJO_BASE_URL = "")
  expect_identical(attr(enjo_client(rate_limit = FALSE), "base_url"), "https://api.enjo.ai")
  withr::local_envvar(ENJO_API_TOKEN = NA)
  expect_error(enjo_client(base_url = m$url), "ENJO_API_TOKEN", class = "enjo_invalid_argument_error")
})

test_that("client options are validated with clear errors", {
  m <- mock()
  bad <- function(...) {
    expect_error(enjo_client(token = mock_token, base_url = m$url, ...),
                 class = "enjo_invalid_argument_error")
  }
  bad(timeout = -1)
  bad(timeout = NA)
  bad(timeout = "10")
  bad(connect_timeout = 0)
  bad(max_retries = 1.5)
  bad(max_retries = -1)
  bad(retry_policy = "sometimes")
  bad(rate_limit = NA)
  bad(rate_limit = list(c(0, 1)))
  bad(rate_limit = list(c(5, -1)))
  bad(rate_limit = "yes")
  bad(rate_limit_max_wait = -2)
  bad(allow_insecure_http = NA)
  expect_error(enjo_client(token = NA_character_, base_url = m$url), "token",
               class = "enjo_invalid_argument_error")
  expect_error(enjo_client(token = 123, base_url = m$url), "token",
               class = "enjo_invalid_argument_error")
  expect_error(enjo_client(token = mock_token, base_url = "ftp://example.com"),
               "base_url", class = "enjo_invalid_argument_error")
  expect_error(enjo_client(token = mock_token, base_url = "http://example.com"),
               class = "enjo_invalid_argument_error")
  # Valid non-default options.
  client <- enjo_client(token = mock_token, base_url = m$url, rate_limit = list(c(5, 0.2), c(10, 1)),
                        rate_limit_max_wait = 5, retry_policy = "at_least_once",
                        user_agent = "r-tests/1.0", timeout = 5, max_response_bytes = 1e6)
  expect_match(format(client), "5/0.2s, 10/1s")
  expect_equal(send_message(client, "echo-bot", "options ok")$answers, "options ok")
})

test_that("a closed client is refused clearly", {
  client <- test_client()
  enjo_close(client)
  expect_match(format(client), "closed")
  expect_error(send_message(client, "echo-bot", "x"), "closed", class = "enjo_invalid_argument_error")
  expect_error(send_message(list(), "echo-bot", "x"), "enjo_client", class = "enjo_invalid_argument_error")
})

test_that("the User-Agent names R and the caller's suffix", {
  m <- mock()
  client <- test_client(m, user_agent = "r-tests/2.0")
  send_message(client, "echo-bot", unique_text("ua"))
  log <- mock_http(m, "GET", "/_mock/requests")$body
  expect_true(grepl("r-tests/2.0", log, fixed = TRUE))
  expect_true(grepl(paste0("r/", getRversion()), log, fixed = TRUE))
})
