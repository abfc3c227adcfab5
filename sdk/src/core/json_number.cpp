// append_json_number (json_writer.h): a double as JavaScript's
// Number#toString writes it. A file of its own so that a build whose host
// has Number#toString (the wasm beacon, wasm/beacon/src/beacon.cpp) can
// supply the function from the host instead of carrying this code.
#include <cstring>

#include "json_writer.h"

namespace clickstream {
namespace {

// An unsigned integer of up to 1280 bits, enough for the exact scaled values
// of any double (2^1075 and 10^324 times a 54-bit mantissa), with the few
// operations the digit generation below needs. No printf or strtod: they
// would cost the wasm beacon most of its size budget.
class bignum {
public:
    explicit bignum(std::uint64_t v = 0) {
        w_[0] = static_cast<std::uint32_t>(v);
        w_[1] = static_cast<std::uint32_t>(v >> 32);
        n_ = w_[1] != 0 ? 2 : w_[0] != 0 ? 1 : 0;
    }
    void mul(std::uint32_t m) {
        std::uint64_t carry = 0;
        for (int i = 0; i < n_; ++i) {
            carry += static_cast<std::uint64_t>(w_[i]) * m;
            w_[i] = static_cast<std::uint32_t>(carry);
            carry >>= 32;
        }
        if (carry != 0) w_[n_++] = static_cast<std::uint32_t>(carry);
    }
    void mul_pow10(int k) {
        for (; k >= 9; k -= 9) mul(1000000000);
        for (; k > 0; --k) mul(10);
    }
    void shift_left(int bits) {
        if (n_ == 0) return;
        const int words = bits / 32;
        const int rest = bits % 32;
        if (rest != 0) {
            w_[n_] = 0;
            for (int i = n_; i > 0; --i) w_[i] = (w_[i] << rest) | (w_[i - 1] >> (32 - rest));
            w_[0] <<= rest;
            if (w_[n_] != 0) ++n_;
        }
        if (words != 0) {
            for (int i = n_ - 1; i >= 0; --i) w_[i + words] = w_[i];
            for (int i = 0; i < words; ++i) w_[i] = 0;
            n_ += words;
        }
    }
    void add(const bignum& b) {
        std::uint64_t carry = 0;
        const int n = n_ > b.n_ ? n_ : b.n_;
        for (int i = 0; i < n; ++i) {
            carry += static_cast<std::uint64_t>(i < n_ ? w_[i] : 0) + (i < b.n_ ? b.w_[i] : 0);
            w_[i] = static_cast<std::uint32_t>(carry);
            carry >>= 32;
        }
        n_ = n;
        if (carry != 0) w_[n_++] = 1;
    }
    // *this -= b, for b <= *this.
    void sub(const bignum& b) {
        std::int64_t borrow = 0;
        for (int i = 0; i < n_; ++i) {
            borrow += static_cast<std::int64_t>(w_[i]) - (i < b.n_ ? b.w_[i] : 0);
            w_[i] = static_cast<std::uint32_t>(borrow);
            borrow = borrow < 0 ? -1 : 0;
        }
        while (n_ > 0 && w_[n_ - 1] == 0) --n_;
    }
    friend int compare(const bignum& a, const bignum& b) {
        if (a.n_ != b.n_) return a.n_ < b.n_ ? -1 : 1;
        for (int i = a.n_ - 1; i >= 0; --i) {
            if (a.w_[i] != b.w_[i]) return a.w_[i] < b.w_[i] ? -1 : 1;
        }
        return 0;
    }
    // Compares a + b with c.
    friend int compare_sum(const bignum& a, const bignum& b, const bignum& c) {
        bignum s = a;
        s.add(b);
        return compare(s, c);
    }

private:
    std::uint32_t w_[41] = {};
    int n_ = 0;
};

// The shortest digits that read back to v > 0 (finite), and n such that
// v = 0.d1d2..dk * 10^n: the free-format algorithm of Steele & White as
// refined by Burger & Dybvig, on exact integers. When two last digits are
// possible the closer wins, an exact tie the even one (as V8's bignum-dtoa).
int shortest_digits(double v, char* digits, int& n) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    const int biased = static_cast<int>((bits >> 52) & 0x7FF);
    std::uint64_t f = bits & ((std::uint64_t{1} << 52) - 1);
    int e = -1074;
    if (biased != 0) {
        f |= std::uint64_t{1} << 52;
        e = biased - 1075;
    }
    // v = r / s; the numbers that read back to v lie within (r - m_minus, r + m_plus) / s.
    const bool uneven = f == (std::uint64_t{1} << 52) && biased > 1;  // the gap below is half
    bignum r(f);
    bignum s(1);
    bignum m_plus(1);
    bignum m_minus(1);
    if (e >= 0) {
        r.shift_left(e + (uneven ? 2 : 1));
        s.shift_left(uneven ? 2 : 1);
        m_plus.shift_left(e + (uneven ? 1 : 0));
        m_minus.shift_left(e);
    } else {
        r.shift_left(uneven ? 2 : 1);
        s.shift_left(-e + (uneven ? 2 : 1));
        if (uneven) m_plus.shift_left(1);
    }
    // IEEE rounds to even: an even mantissa owns its boundaries.
    const bool even = (f & 1) == 0;
    // k: the smallest with (r + m_plus) / s <= 10^k, from an estimate that is
    // right or one too small (floor(log2 v) * log10(2)).
    int log2v = e + 52;
    for (std::uint64_t t = f; t < (std::uint64_t{1} << 52); t <<= 1) --log2v;
    const double estimate = log2v * 0.30102999566398114 - 1e-10;
    int k = static_cast<int>(estimate);
    if (estimate > k) ++k;  // ceil
    if (k >= 0) {
        s.mul_pow10(k);
    } else {
        r.mul_pow10(-k);
        m_plus.mul_pow10(-k);
        m_minus.mul_pow10(-k);
    }
    if (even ? compare_sum(r, m_plus, s) >= 0 : compare_sum(r, m_plus, s) > 0) {
        s.mul(10);
        ++k;
    }
    n = k;
    int count = 0;
    for (;;) {
        r.mul(10);
        m_plus.mul(10);
        m_minus.mul(10);
        int d = 0;
        while (compare(r, s) >= 0) {
            r.sub(s);
            ++d;
        }
        const int low_cmp = compare(r, m_minus);
        const int high_cmp = compare_sum(r, m_plus, s);
        const bool low = even ? low_cmp <= 0 : low_cmp < 0;
        const bool high = even ? high_cmp >= 0 : high_cmp > 0;
        if (!low && !high) {
            digits[count++] = static_cast<char>('0' + d);
            continue;
        }
        if (low && high) {
            bignum twice = r;
            twice.shift_left(1);
            const int c = compare(twice, s);
            if (c > 0 || (c == 0 && d % 2 == 1)) ++d;
        } else if (high) {
            ++d;
        }
        digits[count++] = static_cast<char>('0' + d);
        return count;
    }
}

}  // namespace

// ECMAScript Number::toString: from the shortest digits d1..dk and the
// decimal exponent n (value = 0.d1..dk * 10^n), choose plain or exponent form.
void append_json_number(std::string& out, double v) {
    if (v == 0) {  // -0 too, as JSON.stringify writes it
        out += '0';
        return;
    }
    if (v < 0) {
        out += '-';
        v = -v;
    }
    char digits[20];
    int n = 0;
    const int k = shortest_digits(v, digits, n);

    if (k <= n && n <= 21) {
        out.append(digits, static_cast<std::size_t>(k));
        out.append(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out.append(digits, static_cast<std::size_t>(n));
        out += '.';
        out.append(digits + n, static_cast<std::size_t>(k - n));
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out.append(digits, static_cast<std::size_t>(k));
    } else {
        out += digits[0];
        if (k > 1) {
            out += '.';
            out.append(digits + 1, static_cast<std::size_t>(k - 1));
        }
        out += 'e';
        out += n - 1 > 0 ? '+' : '-';
        append_json_integer(out, n - 1 > 0 ? n - 1 : 1 - n);
    }
}

}  // namespace clickstream
