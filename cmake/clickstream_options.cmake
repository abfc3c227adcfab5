# clickstream_target_options(<target>): the warnings every target of ours
# builds with (-Werror unless CLICKSTREAM_WERROR is off), C++-only flags only
# for C++ sources. Third-party headers come in as SYSTEM includes and are not
# held to them.
function(clickstream_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wcast-align -Wunused -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough
    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Woverloaded-virtual>)
  if(CLICKSTREAM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
