# Reliability and security suites against the real collector (docs/reliability.md):
# hostile requests, and the security properties (origins, TLS versions, what
# the logs hold, Do-Not-Track, the admin listener, secrets from files). Included by tests/integration/CMakeLists.txt.
find_package(ZLIB REQUIRED)
clickstream_add_tests(reliability_integration_tests LABEL integration TIMEOUT 300
  SOURCES hostile_requests_test.cpp security_test.cpp
  LIBS clickstream::collector clickstream::common clickstream::enrich clickstream_sessionize_service
       PkgConfig::RDKAFKA ZLIB::ZLIB)
target_compile_definitions(reliability_integration_tests PRIVATE
  CLICKSTREAM_COLLECTOR_BIN="$<TARGET_FILE:clickstream-collector>"
  CLICKSTREAM_PROCESSOR_BIN="$<TARGET_FILE:clickstream-processor>"
  CLICKSTREAM_SESSIONIZE_BIN="$<TARGET_FILE:clickstream-sessionize>")
add_dependencies(reliability_integration_tests clickstream-collector clickstream-processor
  clickstream-sessionize)
