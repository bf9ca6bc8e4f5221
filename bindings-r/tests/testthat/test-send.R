test_that("send_message returns the documented named list", {
  client <- test_client()
  reply <- send_message(client, "faq-bot", "How do I reset my VPN password?")
  expect_named(reply, c("answers", "sources", "conversation_id", "ticket", "raw", "request_id",
                       "server_request_id"),
               ignore.order = TRUE)
  expect_type(reply$answers, "character")
  expect_length(reply$answers, 1)
  expect_type(reply$conversation_id, "character")
  expect_s3_class(reply$sources, "data.frame")
  expect_named(reply$sources, c("type", "name", "score", "url"))
  expect_gt(nrow(reply$sources), 0)
  expect_type(reply$sources$score, "double")
  expect_null(reply$ticket)
  parsed <- jsonlite::fromJSON(reply$raw, simplifyVector = FALSE)
  expect_true(parsed$success)
  expect_identical(parsed$data$conversationId, reply$conversation_id)
  expect_output(print(reply), "answers:")
})

test_that("text round-trips exactly, UTF-8 included", {
  client <- test_client()
  for (text in c("plain", "h\u00e9llo w\u00f6rld \u2713 \U0001F680", "quotes \" and \\ and \t",
                 enc2native("caf\u00e9"))) {
    expect_identical(send_message(client, "echo-bot", text)$answers, enc2utf8(text))
  }
})

test_that("conversation_id continues a conversation", {
  m <- mock()
  client <- test_client(m)
  first <- send_message(client, "support-bot", "My VPN keeps disconnecting")
  second <- send_message(client, "support-bot", "Still broken", conversation_id = first$conversation_id)
  expect_identical(second$conversation_id, first$conversation_id)
  expect_gte(requests_with(m, first$conversation_id), 1)
})

test_that("the body the server received is the vendor's sample body; a follow-up threads", {
  m <- mock()
  client <- test_client(m)
  texts <- c(unique_text("first"), unique_text("second"), unique_text("third"))
  first <- send_message(client, "echo-bot", texts[1])
  id <- first$conversation_id
  send_message(client, "echo-bot", texts[2], conversation_id = id)
  conversation(client, "echo-bot", conversation_id = id)$send(texts[3])
  sent <- logged_request(m, texts[1])
  expect_identical(sent$body, list(message = list(text = texts[1])))
  expect_vendor_shape(sent$body, FALSE)
  for (text in texts[2:3]) {
    sent <- logged_request(m, text)
    # conversationId INSIDE message, as in the vendor's samples; nothing at the top level.
    expect_vendor_shape(sent$body, TRUE)
    expect_identical(sent$body$message$conversationId, id)
    expect_identical(sent$conversation_id, id) # the server continued the conversation
  }
})

test_that("conversation() threads the id through send()", {
  client <- test_client()
  chat <- conversation(client, "support-bot")
  expect_null(chat$id())
  expect_output(print(chat), "not started")
  r1 <- chat$send("My laptop will not boot")
  expect_identical(chat$id(), r1$conversation_id)
  r2 <- chat$send("Please open a ticket for this")
  expect_identical(r2$conversation_id, r1$conversation_id)
  expect_false(is.null(r2$ticket))
  resumed <- conversation(client, "support-bot", conversation_id = r1$conversation_id)
  expect_identical(resumed$id(), r1$conversation_id)
  expect_identical(resumed$send("one more thing")$conversation_id, r1$conversation_id)
  expect_error(chat$send(""), class = "enjo_invalid_argument_error")
  expect_error(conversation(client, NA), class = "enjo_invalid_argument_error")
})

ticket_test <- function(bot, raw_key) {
  m <- mock()
  client <- test_client(m)
  reply <- send_message(client, bot, "The printer is broken, please open a ticket")
  ticket <- reply$ticket
  expect_type(ticket, "list")
  expect_named(ticket, c("id", "url", "type", "status", "priority", "description",
                         "created_date", "last_modified_date", "case_number", "raw"))
  expect_type(ticket$case_number, "character")
  expect_type(ticket$status, "character")
  expect_true(grepl(raw_key, ticket$raw, fixed = TRUE))
  expect_type(jsonlite::fromJSON(ticket$raw, simplifyVector = FALSE), "list")
  res <- mock_http(m, "GET", "/_mock/tickets")
  expect_true(grepl(ticket$case_number, res$body, fixed = TRUE))
}

test_that("Salesforce tickets", {
  ticket_test("support-bot", "CaseNumber")
})
test_that("Jira tickets", {
  ticket_test("jira-bot", "key")
})
test_that("ServiceNow tickets", {
  ticket_test("servicenow-bot", "number")
})

test_that("a bot without ticketing creates none", {
  reply <- send_message(test_client(), "faq-bot", "please open a ticket")
  expect_null(reply$ticket)
})
