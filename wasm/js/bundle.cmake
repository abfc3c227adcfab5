# Joins the beacon's JS files into one script, each inside one function so
# nothing leaks into the page's globals but window.clickstream.
set(text "/* clickstream beacon */\n(function () {\n'use strict';\n")
foreach(part core.js tracker.js)
  file(READ ${JS_DIR}/${part} body)
  # Drop full-line comments; the gzip size is what a page pays.
  string(REGEX REPLACE "(^|\n)[ ]*//[^\n]*" "" body "${body}")
  string(REGEX REPLACE "if \\(typeof module == 'object'\\) module.exports = csCore;\n?" "" body "${body}")
  string(APPEND text "${body}\n")
endforeach()
string(APPEND text "})();\n")
file(WRITE ${OUT} "${text}")
configure_file(${JS_DIR}/snippet.html ${SNIPPET_OUT} COPYONLY)
