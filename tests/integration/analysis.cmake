# Funnel, path and attribution queries against the real ClickHouse
# (docs/analysis.md): hand-worked datasets in a database of the test's own,
# through the library and through the `clickstream` binary.
clickstream_add_tests(analysis_integration_tests LABEL integration TIMEOUT 180
  SOURCES analysis_test.cpp
  LIBS clickstream::analysis clickstream_sessionize_service clickstream::common
       nlohmann_json::nlohmann_json)
target_compile_definitions(analysis_integration_tests PRIVATE
  CLICKSTREAM_ANALYSIS_BIN="$<TARGET_FILE:clickstream>")
add_dependencies(analysis_integration_tests clickstream)
