# The dashboard service (docs/dashboard.md) against the stack's broker and
# ClickHouse: the real clickstream-dashboard process. Included by
# tests/integration/CMakeLists.txt.
pkg_check_modules(DASHBOARD_IT_RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
clickstream_add_tests(dashboard_integration_tests LABEL integration TIMEOUT 180
  SOURCES dashboard_test.cpp
  LIBS PkgConfig::DASHBOARD_IT_RDKAFKA nlohmann_json::nlohmann_json clickstream::common)
target_compile_definitions(dashboard_integration_tests PRIVATE
  CLICKSTREAM_DASHBOARD_BIN="$<TARGET_FILE:clickstream-dashboard>")
add_dependencies(dashboard_integration_tests clickstream-dashboard)
