// clickstream-sessionize: see docs/sessions.md.
#include "processor/sessionize/service.h"

int main(int argc, char** argv) {
    return sessionize_main(argc, argv);
}
