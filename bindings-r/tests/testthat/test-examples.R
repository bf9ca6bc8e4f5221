# examples/r/send_message.R against the mock, as a user runs it: what the SERVER received is
# the vendor's sample body, first without an id, then (ENJO_CONVERSATION_ID) with the id
# inside `message`, continuing the conversation.
test_that("examples/r/send_message.R sends the vendor's body and threads a follow-up", {
  m <- start_mock()
  on.exit(stop_mock(m), add = TRUE)
  root <- Sys.getenv("ENJO_SOURCE_DIR", testthat::test_path("..", "..", ".."))
  script <- file.path(root, "examples", "r", "send_message.R")
  if (!file.exists(script)) {
    if (identical(Sys.getenv("ENJO_REQUIRE_MOCK"), "1")) stop("no example at ", script)
    skip("examples/r/send_message.R not found (set ENJO_SOURCE_DIR)")
  }
  run_example <- function(conversation_id = "") {
    processx::run(
      file.path(R.home("bin"), "Rscript"), script,
      env = c("current", R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep),
              ENJO_BASE_URL = m$url, ENJO_API_TOKEN = mock_token,
              ENJO_BOT_ID = "support-bot", ENJO_CONVERSATION_ID = conversation_id),
      error_on_status = TRUE, timeout = 120
    )$stdout
  }
  out <- run_example()
  id <- sub("conversation: ", "", regmatches(out, regexpr("conversation: [^ \n]+", out)))
  expect_length(id, 1)
  log <- logged_requests(m, "support-bot")
  expect_length(log, 1)
  expect_identical(log[[1]]$body, list(message = list(text = "Request for ticket generation")))
  expect_vendor_shape(log[[1]]$body, FALSE)

  again <- run_example(id)
  expect_match(again, paste0("conversation: ", id), fixed = TRUE)
  log <- logged_requests(m, "support-bot")
  expect_length(log, 2)
  expect_vendor_shape(log[[2]]$body, TRUE)
  expect_identical(log[[2]]$body$message,
                   list(text = "Request for ticket generation", conversationId = id))
  expect_identical(log[[2]]$conversation_id, id)
})
