# Funnel, path and attribution analysis over the session store (issue 10,
# docs/analysis.md): the query library (pure SQL building and models, the
# HTTP JSON handler the dashboard mounts, the CLI logic) and the `clickstream`
# tool. ClickHouse is reached only through the sessionize client.
add_library(clickstream_analysis STATIC
  src/analysis/errc.cpp
  src/analysis/params.cpp
  src/analysis/steps.cpp
  src/analysis/identity.cpp
  src/analysis/key_split.cpp
  src/analysis/render.cpp
  src/analysis/funnel.cpp
  src/analysis/paths.cpp
  src/analysis/attribution.cpp
  src/analysis/sessions.cpp
  src/analysis/api.cpp
  src/analysis/cli.cpp
  src/analysis/query_runner.cpp
  src/analysis/clickhouse_runner.cpp)
add_library(clickstream::analysis ALIAS clickstream_analysis)
target_include_directories(clickstream_analysis PUBLIC include)
target_link_libraries(clickstream_analysis
  PUBLIC clickstream::core nlohmann_json::nlohmann_json
  PRIVATE clickstream_sessionize_service clickstream_enrich)
clickstream_target_options(clickstream_analysis)

add_executable(clickstream src/analysis/main.cpp)
target_link_libraries(clickstream PRIVATE clickstream_analysis clickstream_sessionize_service)
clickstream_target_options(clickstream)
