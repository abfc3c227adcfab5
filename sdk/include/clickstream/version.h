// The SDK's version: sent in every batch as sdk.version, and read by
// sdk/CMakeLists.txt for the package version (one place to change it).
#pragma once

#define CLICKSTREAM_SDK_VERSION "0.1.0"
