#include "collector/errc.h"

#include <string>

namespace clickstream::collector {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "clickstream.collector"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::success:
                return "success";
            case errc::bad_gzip:
                return "bad gzip body";
            case errc::inflated_too_large:
                return "inflated body too large";
            case errc::spool_full:
                return "spool full";
            case errc::spool_io:
                return "spool I/O error";
            case errc::spool_corrupt:
                return "spool record corrupt";
            case errc::spool_closed:
                return "spool closed";
        }
        return "unknown collector error";
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace clickstream::collector
