# The dashboard in Chromium (docs/dashboard.md): included by
# tests/e2e/CMakeLists.txt. Needs the stack fixture and test_kafka_tool
# (tests/support/tools/).
add_test(NAME e2e.dashboard COMMAND ${NODE_EXECUTABLE} --test --test-concurrency=1 ${CMAKE_CURRENT_SOURCE_DIR}/dashboard.test.mjs)
set_tests_properties(e2e.dashboard PROPERTIES LABELS e2e TIMEOUT 300 FIXTURES_REQUIRED stack
  ENVIRONMENT "${CLICKSTREAM_TEST_ENV};CLICKSTREAM_KAFKA_TOOL=$<TARGET_FILE:test_kafka_tool>;CLICKSTREAM_DASHBOARD_BIN=$<TARGET_FILE:clickstream-dashboard>")
