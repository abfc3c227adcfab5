# Writes X.gz beside each shipped file X of the beacon's dist directory:
# gzip made by zopfli (Debian's zopfli package), an encoder that spends more
# time for a smaller stream any gzip decoder reads. The collector serves
# X.gz to clients that accept gzip (collector/src/static_files.cpp checks
# that it inflates to X). Without zopfli it removes any X.gz, so that no
# stale variant is left, and the collector gzips with zlib at start-up.
#   cmake -DDIST=<dist dir> [-DZOPFLI=<zopfli>] -P precompress.cmake
file(GLOB shipped ${DIST}/*.js ${DIST}/*.wasm ${DIST}/*.html)
foreach(file IN LISTS shipped)
  if(NOT ZOPFLI)
    file(REMOVE ${file}.gz)
  elseif(${file} IS_NEWER_THAN ${file}.gz)
    execute_process(COMMAND ${ZOPFLI} -c ${file} OUTPUT_FILE ${file}.gz.part RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      file(REMOVE ${file}.gz.part)
      message(FATAL_ERROR "zopfli failed on ${file}")
    endif()
    file(RENAME ${file}.gz.part ${file}.gz)
  endif()
endforeach()
