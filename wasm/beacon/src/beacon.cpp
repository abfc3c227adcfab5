// The beacon's exports to its JavaScript glue. Everything below this file is
// the SDK core, compiled unchanged.
extern "C" {

// The beacon's version, for the loader to report.
const char* cs_beacon_version() {
    return "0.1.0";
}
}
