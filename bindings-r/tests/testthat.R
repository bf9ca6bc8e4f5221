library(testthat)
library(enjo)

test_check("enjo")
