// clickstream-processor: see processor/README.md and docs/processor.md.
#include "processor/stage/app.h"

int main(int argc, char** argv) {
    return clickstream::processor::run(argc, argv);
}
