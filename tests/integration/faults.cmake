# Fault tests (docs/reliability.md, "Faults"): the whole pipeline — traffic
# generator, collector, enrich, sessionize — on a Kafka and a ClickHouse of
# the test's own (support/pipeline.h), killed, stopped and slowed under load;
# after each fault the tables hold the generator's ground truth exactly.
# `faults_integration_tests` are the short versions (label integration, the
# README's test command); `faults_soak_tests` repeat random kills for minutes
# (label soak, scripts/soak).
if(TARGET clickstream-traffic-gen AND TARGET clickstream-collector AND
   TARGET clickstream-processor AND TARGET clickstream-sessionize)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
  find_package(nlohmann_json REQUIRED)

  add_library(clickstream_pipeline_support STATIC
    ${PROJECT_SOURCE_DIR}/tests/support/src/pipeline.cpp)
  target_link_libraries(clickstream_pipeline_support PUBLIC
    clickstream_test_support clickstream::common PkgConfig::RDKAFKA nlohmann_json::nlohmann_json)
  target_compile_definitions(clickstream_pipeline_support PRIVATE
    CLICKSTREAM_PIPELINE_COLLECTOR_BIN="$<TARGET_FILE:clickstream-collector>"
    CLICKSTREAM_PIPELINE_PROCESSOR_BIN="$<TARGET_FILE:clickstream-processor>"
    CLICKSTREAM_PIPELINE_SESSIONIZE_BIN="$<TARGET_FILE:clickstream-sessionize>"
    CLICKSTREAM_PIPELINE_TRAFFIC_GEN_BIN="$<TARGET_FILE:clickstream-traffic-gen>")
  clickstream_target_options(clickstream_pipeline_support)
  add_dependencies(clickstream_pipeline_support
    clickstream-collector clickstream-processor clickstream-sessionize clickstream-traffic-gen)

  clickstream_add_tests(faults_integration_tests LABEL integration TIMEOUT 300
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/faults_test.cpp
    LIBS clickstream_pipeline_support)
  clickstream_add_tests(faults_soak_tests LABEL soak TIMEOUT 3600
    SOURCES ${PROJECT_SOURCE_DIR}/tests/soak/faults_soak_test.cpp
    LIBS clickstream_pipeline_support)
endif()
