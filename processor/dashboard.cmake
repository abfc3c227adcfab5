# The live dashboard (issue 9; docs/dashboard.md): the pure aggregation and
# request mapping, the service around them, and the clickstream-dashboard
# binary. Included by processor/CMakeLists.txt.
add_library(clickstream_dashboard STATIC
  src/dashboard/live_aggregate.cpp
  src/dashboard/handle_request.cpp)
add_library(clickstream::dashboard ALIAS clickstream_dashboard)
target_include_directories(clickstream_dashboard PUBLIC include)
# handle_request.h speaks common/http's request type.
target_link_libraries(clickstream_dashboard
  PUBLIC clickstream::common nlohmann_json::nlohmann_json)
clickstream_target_options(clickstream_dashboard)

add_library(clickstream_dashboard_service STATIC
  src/dashboard/probe.cpp
  src/dashboard/options.cpp
  src/dashboard/service.cpp)
target_include_directories(clickstream_dashboard_service PUBLIC include)
# The analysis API (docs/analysis.md) is mounted under /api/analysis/.
target_link_libraries(clickstream_dashboard_service
  PUBLIC clickstream_dashboard clickstream_sessionize_service clickstream::common
  PRIVATE clickstream_analysis)
target_compile_definitions(clickstream_dashboard_service PRIVATE
  CLICKSTREAM_DEFAULT_ROOT="${PROJECT_SOURCE_DIR}")
clickstream_target_options(clickstream_dashboard_service)
set_source_files_properties(src/dashboard/service.cpp PROPERTIES COMPILE_OPTIONS "${CLICKSTREAM_ASIO_WAIVERS}")

add_executable(clickstream-dashboard src/dashboard/main.cpp)
target_link_libraries(clickstream-dashboard PRIVATE clickstream_dashboard_service)
clickstream_target_options(clickstream-dashboard)
