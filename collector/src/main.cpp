// clickstream-collector: see collector/README.md and docs/collector.md.
#include "collector/service.h"

int main(int argc, char** argv) {
    return clickstream::collector::run(argc, argv);
}
