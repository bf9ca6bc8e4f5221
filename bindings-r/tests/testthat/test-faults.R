test_that("every mock fault maps to the right outcome", {
  m <- mock()
  client <- test_client(m)
  send <- function(bot = "faq-bot", text = unique_text()) send_message(client, bot, text)

  inject_fault(m, "support-bot", "500-after-ticket")
  text <- unique_text("please open a ticket")
  expect_error(send("support-bot", text), class = "enjo_server_error")
  expect_identical(requests_with(m, text), 1L) # never sent twice by default

  inject_fault(m, "faq-bot", "status=503;shape=message")
  err <- tryCatch(send(), enjo_server_error = identity)
  expect_identical(err$status, 503L)
  expect_match(err$body, "\"message\"")

  inject_fault(m, "faq-bot", "html-502")
  err <- tryCatch(send(), enjo_server_error = identity)
  expect_identical(err$status, 502L)
  expect_match(conditionMessage(err), "HTML")

  inject_fault(m, "faq-bot", "empty-body=500")
  expect_error(send(), class = "enjo_server_error")
  inject_fault(m, "faq-bot", "empty-body=200")
  expect_error(send(), class = "enjo_response_decode_error")

  inject_fault(m, "faq-bot", "reset")
  expect_error(send(), class = "enjo_api_connection_error")

  inject_fault(m, "faq-bot", "success-false")
  err <- tryCatch(send(), enjo_api_error = identity)
  expect_identical(class(err)[1], "enjo_api_error")

  inject_fault(m, "support-bot", "missing-fields")
  reply <- send("support-bot", "please open a ticket")
  expect_null(reply$answers)
  expect_null(reply$conversation_id)
  expect_null(reply$ticket)
  expect_identical(nrow(reply$sources), 0L)

  inject_fault(m, "echo-bot", "extra-fields")
  expect_identical(send("echo-bot", "extra")$answers, "extra")

  inject_fault(m, "echo-bot", "delay=200")
  expect_identical(send("echo-bot", "patience")$answers, "patience")

  small <- test_client(m, max_response_bytes = 4096)
  inject_fault(m, "faq-bot", "huge-body=100000")
  expect_error(send_message(small, "faq-bot", "big"), "max_response_bytes",
               class = "enjo_response_decode_error")
  inject_fault(m, "faq-bot", "huge-body=100000")
  expect_gte(nchar(send("faq-bot", "big")$raw), 100000)
})

test_that("429 is retried when retries are allowed", {
  m <- mock()
  client <- test_client(m, max_retries = 2L)
  inject_fault(m, "echo-bot", "429;retry-after-ms=1")
  text <- unique_text("retried")
  expect_identical(send_message(client, "echo-bot", text)$answers, text)
  expect_identical(requests_with(m, text), 2L)
  # and per call
  none <- test_client(m)
  inject_fault(m, "echo-bot", "429;retry-after-ms=1")
  expect_identical(send_message(none, "echo-bot", "per call", max_retries = 1L)$answers, "per call")
})

test_that("limits: custom quotas avoid the server's 429s, no limiter meets them", {
  limited <- mock("5/200ms,10/1s")
  client <- test_client(limited, rate_limit = list(c(5, 0.2), c(10, 1)))
  answers <- vapply(1:14, function(i) send_message(client, "echo-bot", "limited")$answers, "")
  expect_true(all(answers == "limited"))
  unlimited <- test_client(limited)
  hit <- NULL
  for (i in 1:200) {
    hit <- tryCatch({
      send_message(unlimited, "echo-bot", "burst")
      NULL
    }, enjo_rate_limit_error = identity)
    if (!is.null(hit)) break
  }
  expect_s3_class(hit, "enjo_rate_limit_error")
  expect_identical(hit$status, 429L)
  expect_false(is.null(hit$retry_after))
})
