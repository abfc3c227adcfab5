// result<T, E>: a value or an error, for hot paths where errors are values.
//
// The one such type in the project (C++20 has no std::expected). It works
// under -fno-exceptions, so the SDK core builds for WebAssembly unchanged:
// reading the wrong side is a contract violation that aborts, never a throw.
//
//   result<batch> parse(std::string_view);         // value or std::error_code
//   result<void, errc> send();                      // success or an errc
//   if (auto r = parse(s); !r) log(r.error()); else use(*r);
#pragma once

#include <cstdlib>
#include <new>
#include <system_error>
#include <type_traits>
#include <utility>

namespace clickstream {

// Wraps an error so that result's constructor can tell it from a value.
template <class E>
struct failure {
    E error;
};
template <class E>
failure(E) -> failure<E>;

template <class T, class E = std::error_code>
class [[nodiscard]] result {
public:
    using value_type = T;
    using error_type = E;

    result(const T& v) : ok_(true) { new (&value_) T(v); }  // NOLINT(google-explicit-constructor)
    result(T&& v) : ok_(true) {
        new (&value_) T(std::move(v));
    }  // NOLINT(google-explicit-constructor)
    template <class G, class = std::enable_if_t<std::is_constructible_v<E, G&&>>>
    result(failure<G> f) : ok_(false) {  // NOLINT(google-explicit-constructor)
        new (&error_) E(std::move(f.error));
    }

    result(const result& o) : ok_(o.ok_) {
        if (ok_)
            new (&value_) T(o.value_);
        else
            new (&error_) E(o.error_);
    }
    result(result&& o) noexcept : ok_(o.ok_) {
        if (ok_)
            new (&value_) T(std::move(o.value_));
        else
            new (&error_) E(std::move(o.error_));
    }
    result& operator=(result o) noexcept {
        destroy();
        ok_ = o.ok_;
        if (ok_)
            new (&value_) T(std::move(o.value_));
        else
            new (&error_) E(std::move(o.error_));
        return *this;
    }
    ~result() { destroy(); }

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }

    T& value() & {
        check(ok_);
        return value_;
    }
    const T& value() const& {
        check(ok_);
        return value_;
    }
    T&& value() && {
        check(ok_);
        return std::move(value_);
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const E& error() const {
        check(!ok_);
        return error_;
    }

    template <class U>
    T value_or(U&& fallback) const& {
        return ok_ ? value_ : static_cast<T>(std::forward<U>(fallback));
    }

private:
    static void check(bool ok) {
        if (!ok) std::abort();
    }
    void destroy() noexcept {
        if (ok_)
            value_.~T();
        else
            error_.~E();
    }

    bool ok_;
    union {
        T value_;
        E error_;
    };
};

// result<void, E>: success or an error.
template <class E>
class [[nodiscard]] result<void, E> {
public:
    using value_type = void;
    using error_type = E;

    result() = default;
    template <class G, class = std::enable_if_t<std::is_constructible_v<E, G&&>>>
    result(failure<G> f)
        : ok_(false), error_(std::move(f.error)) {}  // NOLINT(google-explicit-constructor)

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    void value() const {
        if (!ok_) std::abort();
    }
    const E& error() const {
        if (ok_) std::abort();
        return error_;
    }

private:
    bool ok_ = true;
    E error_{};
};

}  // namespace clickstream
