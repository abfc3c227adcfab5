// clickstream-dashboard: see docs/dashboard.md.
#include "processor/dashboard/service.h"

int main(int argc, char** argv) {
    return dashboard_main(argc, argv);
}
