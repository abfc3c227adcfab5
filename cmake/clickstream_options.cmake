# clickstream_target_options(<target>): the warnings every target of ours
# builds with (-Werror unless CLICKSTREAM_WERROR is off). Third-party headers
# come in as SYSTEM includes and are not held to them.
function(clickstream_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
    -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough)
  if(CLICKSTREAM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
