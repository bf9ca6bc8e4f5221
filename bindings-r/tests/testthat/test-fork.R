test_that("a client made in the parent works in mclapply's children", {
  skip_on_os("windows")
  client <- test_client()
  expect_identical(send_message(client, "echo-bot", "parent first")$answers, "parent first")
  texts <- sprintf("child %d", 1:6)
  answers <- parallel::mclapply(texts, function(t) {
    tryCatch(send_message(client, "echo-bot", t)$answers, error = function(e) conditionMessage(e))
  }, mc.cores = 2)
  expect_identical(unlist(answers), texts)
  # and a conversation started in the parent continues in a child
  chat <- conversation(client, "support-bot")
  first <- chat$send("My VPN keeps disconnecting")
  ids <- parallel::mclapply(1:2, function(i) chat$send(sprintf("follow-up %d", i))$conversation_id,
                            mc.cores = 2)
  expect_identical(unlist(ids), rep(first$conversation_id, 2))
  expect_identical(send_message(client, "echo-bot", "parent after")$answers, "parent after")
})
